"""Background work of the datahub: ingest of uploaded files (queued on commit).

`civicport worker` runs the queue. The job row carries the progress the publisher's page
polls; the task itself only calls the action.
"""

from django_tasks import task

from civicport.datahub import actions


@task()
def ingest_run(job_id: int) -> str:
    """Validate and publish one upload; returns the job's final status."""
    return actions.ingest_job_run(job_id=job_id).status
