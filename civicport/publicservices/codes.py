"""Dossier codes (mã hồ sơ) in the form of Circular 01/2018/TT-VPCP Art. 19.

`<unit code>-YYMMDD-NNNN`: the unit code of the receiving agency, the local date of receipt,
and a 4-digit sequence within that agency and day (services.md §1.2). Past 9999 the sequence
keeps counting with more digits rather than wrapping: a repeated code would be worse than a
longer one.

The sequence must be gap-free and unique even when many dossiers arrive at once, so the
`DossierCounter(agency, day)` row is incremented (and so locked) inside the caller's
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
    sequence = _counter_bumped(agency, day)
    return dossier_code_format(agency_code=agency.code, day=day, sequence=sequence)


def _counter_bumped(agency: Agency, day: date) -> int:
    """Add one to the (agency, day) counter row, created if needed, and return the new value;
    the row stays locked for this transaction (the UPDATE's row lock)."""
    for _attempt in range(3):
        last = _counter_increment(agency, day)
        if last is not None:
            return last
        try:
            # A savepoint: losing the race for the first dossier of the day must not break the
            # caller's transaction. The inserted row is ours (locked) until we commit.
            with transaction.atomic():
                return DossierCounter.objects.create(agency=agency, day=day, last=1).last
        except IntegrityError:
            continue  # another transaction created it first: bump theirs
    raise RuntimeError(f"could not lock the dossier counter of {agency.code} for {day}")


def _counter_increment(agency: Agency, day: date) -> int | None:
    # One statement (lock, add, read) where the ORM needs SELECT ... FOR UPDATE and UPDATE.
    quote = connection.ops.quote_name
    table, last = quote(DossierCounter._meta.db_table), quote("last")
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {last} = {last} + 1 "
            f"WHERE {quote('agency_id')} = %s AND {quote('day')} = %s RETURNING {last}",
            [agency.pk, connection.ops.adapt_datefield_value(day)],
        )
        row = cursor.fetchone()
    return row[0] if row else None
