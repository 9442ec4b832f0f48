"""Periodic jobs of the core module (run by `civicport periodic`)."""

from datetime import timedelta

from civicport.core.audit import audit_seal
from civicport.core.schedule import Job

JOBS = [
    Job(
        name="core.audit_seal",
        every=timedelta(minutes=1),
        run=audit_seal,
        description="chain audit entries left unsealed (a failed seal or a crash after commit)",
    ),
]
