from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from civicport.core import schedule as periodic
from civicport.core.models import PeriodicRun
from civicport.core.schedule import Job, run_due

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(monkeypatch):
    made = []

    def fail():
        raise RuntimeError("SMTP down")

    jobs = [
        Job("test.often", timedelta(minutes=5), lambda: made.append("often") or "done"),
        Job("test.failing", timedelta(minutes=5), fail),
    ]
    monkeypatch.setattr(periodic, "periodic_jobs", lambda: jobs)
    return made


def test_a_job_runs_once_per_interval(calls):
    now = timezone.now()
    assert [(n, ok) for n, ok, _ in run_due(now=now)] == [
        ("test.often", True), ("test.failing", False)
    ]
    assert list(run_due(now=now + timedelta(minutes=4))) == []
    assert [n for n, *_ in run_due(now=now + timedelta(minutes=5), only="test.often")] == [
        "test.often"
    ]
    assert calls == ["often", "often"]


def test_failures_are_recorded_and_do_not_stop_the_others(calls):
    list(run_due())
    failed = PeriodicRun.objects.get(name="test.failing")
    assert failed.last_ok is False and "SMTP down" in failed.last_message
    assert PeriodicRun.objects.get(name="test.often").last_ok is True


def test_force_ignores_the_interval(calls):
    list(run_due(only="test.often"))
    list(run_due(only="test.often", force=True))
    assert calls == ["often", "often"]


def test_every_app_job_is_listed():
    names = {job.name for job in periodic.periodic_jobs()}
    assert "publicservices.step_reminders" in names
    assert all(job.every >= timedelta(minutes=1) for job in periodic.periodic_jobs())


def test_command_reports_failures_with_its_exit_status(calls, capsys):
    with pytest.raises(CommandError, match="1 job"):
        call_command("periodic")
    assert "test.often: ok done" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no periodic job"):
        call_command("periodic", job="nope")
