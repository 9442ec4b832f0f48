"""Background tasks of the dossier module.

`step_reminders` e-mails the officers holding a dossier whose current step is due within
four working hours or overdue (`actions.step_reminders_send`; idempotent per dossier, step,
day and officer, so running it often sends nothing twice).

It runs every 30 minutes as the periodic job `publicservices.step_reminders`
(`civicport periodic`, see civicport/core/schedule.py). `civicport remind` runs it once by
hand; `civicport remind --enqueue` queues the task on the task backend instead (run by
`civicport worker`), for deployments where only workers may send mail.
"""

from django_tasks import task

from civicport.publicservices import actions


@task()
def step_reminders() -> int:
    """Queue the step reminders due now; returns how many e-mails were queued."""
    return actions.step_reminders_send()
