"""Dossier codes (mã hồ sơ) in the form of Circular 01/2018/TT-VPCP Art. 19.

`<unit code>-YYMMDD-NNNN`: the unit code of the receiving agency, the local date of receipt,
and a 4-digit sequence within that agency and day (services.md §1.2). Past 9999 the sequence
keeps counting with more digits rather than wrapping: a repeated code would be worse than a
longer one.

The sequence must be gap-free and unique even when many dossiers arrive at once, so the
`DossierCounter(agency, day)` row is locked with `select_for_update()` inside the caller's
transaction: the number is only used if that transaction commits, and a rollback releases it
for the next dossier.
"""

import re
from datetime import date

from django.db import IntegrityError, connection, transaction

from civicport.core.models import Agency
from civicport.publicservices.models import DossierCounter

# Unit codes of the Circular 01/2018 form V1V2V3.Z1Z2.Y1Y2.MX1X2 (see core/agencies.py).
AGENCY_CODE_PATTERN = r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}"
DOSSIER_CODE_RE = re.compile(
    rf"^(?P<agency>{AGENCY_CODE_PATTERN})"
    r"-(?P<day>\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"-(?P<seq>\d{4}|[1-9]\d{4,})$"
)
SEQUENCE_WIDTH = 4


def dossier_code_format(*, agency_code: str, day: date, sequence: int) -> str:
    """The code of the `sequence`-th dossier of `day` (1-based) at the agency."""
    if sequence < 1:
        raise ValueError("the sequence starts at 1")
    return f"{agency_code}-{day:%y%m%d}-{sequence:0{SEQUENCE_WIDTH}d}"


def dossier_code_valid(code: str) -> bool:
    """Whether `code` has the Art. 19 form (a real calendar month and day, 4+ digit sequence)."""
    return bool(code) and DOSSIER_CODE_RE.match(code) is not None


def dossier_code_next(*, agency: Agency, day: date) -> str:
    """Issue the next code of `agency` for the local receipt date `day`.

    Must run inside the transaction that stores the dossier: the counter row stays locked
    until it commits, which serialises concurrent receipts at one agency (and only there).
    """
    if not connection.in_atomic_block:
        raise RuntimeError("dossier_code_next() must run inside the dossier's transaction")
    counter = _counter_locked(agency, day)
    counter.last += 1
    counter.save(update_fields=["last"])
    return dossier_code_format(agency_code=agency.code, day=day, sequence=counter.last)


def _counter_locked(agency: Agency, day: date) -> DossierCounter:
    """The (agency, day) counter row, created if needed, locked for this transaction."""
    for _attempt in range(3):
        counter = DossierCounter.objects.select_for_update().filter(agency=agency, day=day).first()
        if counter is not None:
            return counter
        try:
            # A savepoint: losing the race for the first dossier of the day must not break the
            # caller's transaction. The inserted row is ours (locked) until we commit.
            with transaction.atomic():
                return DossierCounter.objects.create(agency=agency, day=day, last=0)
        except IntegrityError:
            continue  # another transaction created it first: lock theirs
    raise RuntimeError(f"could not lock the dossier counter of {agency.code} for {day}")
