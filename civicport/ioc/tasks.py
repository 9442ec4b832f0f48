"""Background tasks of the IOC: the live-indicator refresh and the scheduled reports.

Run them periodically, by cron or a systemd timer calling `civicport ioc_refresh` (which runs
both once in the calling process), e.g. every 15 minutes:

    */15 * * * *  cd /srv/civicport && .venv/bin/civicport ioc_refresh

The report schedule is decided in Asia/Ho_Chi_Minh time whatever the server's clock zone:
the weekly report of the previous ISO week on Mondays, the monthly report of the previous
month on the 1st; each is produced once (re-runs are no-ops).
`civicport ioc_refresh --enqueue` queues the tasks on the task backend instead.
"""

from django_tasks import task

from civicport.ioc import actions, reports


@task()
def refresh_indicators() -> dict:
    result = actions.indicators_refresh()
    return {k: result[k] for k in ("stored", "missing", "failed", "skipped")}


@task()
def scheduled_reports() -> list[str]:
    return [f"{row.kind} {row.period_key}" for row in reports.reports_run()]
