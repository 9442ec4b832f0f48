"""Background tasks of the dossier module.

`step_reminders` e-mails the officers holding a dossier whose current step is due within
four working hours or overdue (`actions.step_reminders_send`; idempotent per dossier, step,
day and officer, so running it often sends nothing twice).

It must run periodically: every 30 minutes, by cron or a systemd timer calling the
`civicport remind` management command, which runs it once in the calling process:

    # crontab of the CivicPort user
    */30 * * * *  cd /srv/civicport && .venv/bin/civicport remind

    # or /etc/systemd/system/civicport-remind.timer (with a matching .service whose
    # ExecStart is `/srv/civicport/.venv/bin/civicport remind`)
    [Timer]
    OnCalendar=*:0/30
    Persistent=true

`civicport remind --enqueue` queues the task on the task backend instead (run by
`civicport worker`), for deployments where only workers may send mail.
"""

from django_tasks import task

from civicport.publicservices import actions


@task()
def step_reminders() -> int:
    """Queue the step reminders due now; returns how many e-mails were queued."""
    return actions.step_reminders_send()
