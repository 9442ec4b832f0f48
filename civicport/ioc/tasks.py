"""Background tasks of the IOC: the live-indicator refresh and the scheduled reports.

`civicport periodic` runs them (civicport/ioc/periodic.py): the refresh every 15 minutes,
the reports check hourly. `civicport ioc_refresh` runs both once, now, in the calling process.

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
