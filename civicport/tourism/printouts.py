"""QR codes (always full QR with segno.make_qr — Micro QR does not scan on many phones) and
the printable A4 poster of a venue, in Vietnamese with the DejaVu fonts that public services
vendor (used by path, not copied)."""

import io
import unicodedata
from pathlib import Path

import segno
from django.core import signing
from django.utils.translation import gettext as _
from fpdf import FPDF

from civicport.tourism.models import Venue

# The fonts public services vendor, by path: one copy of the files in the repository.
FONT_DIR = Path(__file__).resolve().parent.parent / "publicservices" / "fonts"
VISIT_SALT = "civicport.tourism.visit"
FONT = "DejaVuSerif"


def visit_token(venue_id: int) -> str:
    """The signed token printed in a venue's QR URL: scanning it proves a visit."""
    return signing.Signer(salt=VISIT_SALT).sign(str(venue_id)).split(":", 1)[1]


def visit_token_valid(venue_id: int, token: str) -> bool:
    try:
        return signing.Signer(salt=VISIT_SALT).unsign(f"{venue_id}:{token}") == str(venue_id)
    except signing.BadSignature:
        return False


def qr(url: str, kind: str) -> tuple[bytes, str]:
    """(content, media type) of a QR code for `url` as PNG or SVG."""
    code = segno.make_qr(url, error="m")
    out = io.BytesIO()
    if kind == "svg":
        code.save(out, kind="svg", scale=8, border=4, xmldecl=False)
        return out.getvalue(), "image/svg+xml"
    code.save(out, kind="png", scale=10, border=4)
    return out.getvalue(), "image/png"


def _nfc(text) -> str:
    return unicodedata.normalize("NFC", str(text or ""))


def poster_pdf(venue: Venue, url: str, hours_text: str) -> bytes:
    """An A4 poster: venue name, address, hours, dishes with prices and the big QR code."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font(FONT, "", FONT_DIR / "DejaVuSerif.ttf")
    pdf.add_font(FONT, "B", FONT_DIR / "DejaVuSerif-Bold.ttf")
    pdf.set_lang("vi-VN")
    pdf.set_title(_nfc(venue.name))
    pdf.set_creator("CivicPort")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT, "B", 14)
    pdf.cell(0, 8, _nfc(_("Hai Phong Food Tour")), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 26)
    pdf.multi_cell(0, 12, _nfc(venue.name), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 13)
    pdf.multi_cell(0, 7, _nfc(f"{venue.address}, {venue.ward.name}"), align="C",
                   new_x="LMARGIN", new_y="NEXT")
    if hours_text:
        pdf.multi_cell(0, 7, _nfc(_("Opening hours: %(h)s") % {"h": hours_text}), align="C",
                       new_x="LMARGIN", new_y="NEXT")
    svg = io.BytesIO()
    segno.make_qr(url, error="m").save(svg, kind="svg", border=4, omitsize=True, xmldecl=False)
    svg.seek(0)
    pdf.ln(4)
    pdf.image(svg, x=(210 - 90) / 2, w=90, h=90)
    pdf.ln(2)
    pdf.set_font(FONT, "B", 13)
    pdf.cell(0, 7, _nfc(_("Scan to see the menu, the map and to leave a review")), align="C",
             new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "", 12)
    for dish in list(venue.dishes.all())[:12]:
        pdf.cell(130, 7, _nfc(dish.name), new_x="RIGHT", new_y="TOP")
        pdf.cell(0, 7, _nfc(f"{dish.price:,} đ".replace(",", ".")), align="R",
                 new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(-20)
    pdf.set_font(FONT, "", 8)
    pdf.cell(0, 5, _nfc(url), align="C")
    return bytes(pdf.output())
