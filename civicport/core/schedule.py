"""Periodic jobs: step reminders, SLA escalation, indicator refreshes, statistics exports.

An app takes part with a `periodic` module holding `JOBS`, a list of `Job`. Whatever runs
the schedule — `civicport periodic` from cron or a systemd timer every minute, or one
`civicport periodic --loop` process (the demo starts one) — calls `run_due()`, which claims
each due job by updating its `PeriodicRun` row inside a transaction (a row lock on
PostgreSQL, the write lock on SQLite) and then runs it outside that transaction. Two
schedulers never run the same job twice in one interval; a job that fails is recorded with
its error and tried again at its next interval.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import module_has_submodule

from civicport.core.models import PeriodicRun

logger = logging.getLogger("civicport.periodic")


@dataclass(frozen=True)
class Job:
    name: str  # "<app>.<job>", the key of its PeriodicRun row
    every: timedelta
    run: Callable[[], object]  # returns a short summary (or a count) for the log
    description: str = ""


def periodic_jobs() -> list[Job]:
    """Every installed app's JOBS, in INSTALLED_APPS order."""
    found: list[Job] = []
    for config in apps.get_app_configs():
        if config.name.startswith("civicport.") and module_has_submodule(
            config.module, "periodic"
        ):
            found.extend(import_module(f"{config.name}.periodic").JOBS)
    return found


def run_due(*, now: datetime | None = None, only: str | None = None,
            force: bool = False) -> Iterator[tuple[str, bool, str]]:
    """Run the jobs due at `now` (or just `only`; `force` ignores the interval). Yields
    (name, ok, message) for each job run."""
    for job in periodic_jobs():
        if only and job.name != only:
            continue
        if not _claim(job, now or timezone.now(), force=force):
            continue
        try:
            message, ok = str(job.run()), True
        except Exception as exc:  # recorded; the other jobs still run
            logger.exception("periodic job %s failed", job.name)
            message, ok = f"{type(exc).__name__}: {exc}", False
        PeriodicRun.objects.filter(name=job.name).update(
            last_finished_at=timezone.now(), last_ok=ok, last_message=message[:2000]
        )
        yield job.name, ok, message


def _claim(job: Job, now: datetime, *, force: bool) -> bool:
    PeriodicRun.objects.get_or_create(name=job.name)
    with transaction.atomic():
        state = (
            PeriodicRun.objects.select_for_update(skip_locked=True).filter(name=job.name).first()
        )
        if state is None:  # another scheduler holds it right now
            return False
        if not force and state.last_started_at and now - state.last_started_at < job.every:
            return False
        state.last_started_at = now
        state.save(update_fields=["last_started_at"])
    return True
