"""Venue import and export as Excel (openpyxl) or CSV.

Import is all or nothing: every row is checked first (the same checks as the venue form);
one bad row means a list of "row N: problem" messages and no change at all. A row with an
`id` updates that venue, a row without one creates a venue. Exports neutralise cells that a
spreadsheet would run as a formula.
"""

import csv
import io

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from civicport.core.models import Ward
from civicport.core.text import fold
from civicport.tourism import actions
from civicport.tourism.models import Venue
from civicport.tourism.queries import with_dishes

COLUMNS = ["id", "name", "address", "ward", "lat", "lon", "opening_hours", "dishes", "phone",
           "website", "tags"]
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024


def safe_cell(value):
    """Text starting with = + - @ would be a formula in a spreadsheet: prefix a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def dishes_text(venue: Venue) -> str:
    return "; ".join(f"{d.name}: {d.price}" for d in venue.dishes.all())


def export_rows() -> list[list]:
    rows = [COLUMNS]
    for v in with_dishes(Venue.objects.select_related("ward").order_by("id")):
        rows.append([v.pk, v.name, v.address, v.ward.name, v.lat, v.lon, v.opening_hours,
                     dishes_text(v), v.phone, v.website, ", ".join(v.tags)])
    return rows


def export_xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "venues"
    for row in export_rows():
        sheet.append([safe_cell(c) for c in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_csv() -> bytes:
    return export_csv_rows(export_rows())


def export_csv_rows(rows: list[list]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return ("\ufeff" + out.getvalue()).encode()  # BOM: Excel opens UTF-8 Vietnamese right


def _parse_dishes(text: str) -> list[dict]:
    dishes = []
    for part in str(text or "").split(";"):
        if not part.strip():
            continue
        name, _sep, price = part.rpartition(":")
        dishes.append({"name": name.strip(), "price": price.strip()})
    return dishes


def _ward(value, wards: dict[str, Ward]) -> Ward | None:
    text = str(value or "").strip()
    if text.isdigit():
        return Ward.objects.filter(pk=int(text)).first()
    return wards.get(fold(text)) or wards.get(fold(text.split(" ", 1)[-1]))


def _read_rows(filename: str, content: bytes) -> list[dict]:
    if len(content) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 5 MB."))
    if filename.lower().endswith(".xlsx"):
        try:
            book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds on a broken file
            raise ValidationError(_("This is not a readable Excel file.")) from exc
        raw = [list(r) for r in book.active.iter_rows(values_only=True)]
    elif filename.lower().endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError(_("The CSV file must be UTF-8 encoded.")) from exc
        raw = list(csv.reader(io.StringIO(text)))
    else:
        raise ValidationError(_("Upload an .xlsx or .csv file."))
    if not raw:
        raise ValidationError(_("The file is empty."))
    header = [str(c or "").strip().lower() for c in raw[0]]
    missing = [c for c in ("name", "address", "ward", "lat", "lon") if c not in header]
    if missing:
        raise ValidationError(_("Missing columns: %(c)s.") % {"c": ", ".join(missing)})
    rows = [dict(zip(header, r, strict=False)) for r in raw[1:] if any(
        str(c or "").strip() for c in r)]
    if len(rows) > MAX_ROWS:
        raise ValidationError(_("At most %(n)d rows per file.") % {"n": MAX_ROWS})
    return rows


def venues_import(*, actor, filename: str, content: bytes) -> dict:
    """Create or update venues from a file; returns {"created": n, "updated": n}."""
    actions._check_staff(actor)
    rows = _read_rows(filename, content)
    wards = {fold(w.name): w for w in Ward.objects.all()}
    errors, plans = [], []
    for number, row in enumerate(rows, start=2):
        data = {k: row.get(k) for k in COLUMNS}
        data["ward"] = _ward(row.get("ward"), wards)
        data["dishes"] = _parse_dishes(row.get("dishes"))
        venue_id = str(row.get("id") or "").strip()
        try:
            actions.venue_clean({**data, "ward": data["ward"] or ""})
        except ValidationError as exc:
            for messages in exc.message_dict.values():
                errors.extend(_("Row %(n)d: %(m)s") % {"n": number, "m": m} for m in messages)
            continue
        if venue_id and not (venue_id.isdigit() and Venue.objects.filter(pk=venue_id).exists()):
            errors.append(_("Row %(n)d: there is no venue with id %(id)s.")
                          % {"n": number, "id": venue_id})
            continue
        plans.append((int(venue_id) if venue_id else None, data))
    if errors:
        raise ValidationError(errors)
    created = updated = 0
    with transaction.atomic():
        for venue_id, data in plans:
            if venue_id:
                actions.venue_update(actor=actor, venue_id=venue_id, version=None, data=data)
                updated += 1
            else:
                actions.venue_create(actor=actor, data=data)
                created += 1
    return {"created": created, "updated": updated}
