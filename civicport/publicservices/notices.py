"""The one-stop desk's official notices as A5 PDFs, in the layout of Circular 01/2018/TT-VPCP.

* `receipt_pdf` — Mẫu số 01, Giấy tiếp nhận hồ sơ và hẹn trả kết quả, with a QR code of the
  tracking page;
* `supplement_notice_pdf` — Mẫu số 02, Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ;
* `refusal_notice_pdf` — Mẫu số 03, Phiếu từ chối tiếp nhận giải quyết hồ sơ;
* `apology_notice_pdf` — Mẫu số 04, Phiếu xin lỗi và hẹn lại ngày trả kết quả.

The wording of these forms is set by the Circular in Vietnamese: it is printed as written
there and is not passed through gettext (an English receipt would not be the legal form).

Every notice shares one layout (`_NoticePdf`): the agency on the left and the national motto on
the right, the place and date line, the title, the body, the signature block; later pages are
numbered at the top as Decree 30/2020 asks. Fonts are the vendored DejaVu Serif files in
`fonts/`, subset-embedded, so no system font is needed. Given the same dossier and `now`, the
output is byte-for-byte the same (the PDF creation date and file id come from `now`).
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import segno
from django.conf import settings
from django.utils import timezone
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from civicport.core.models import Agency, Province
from civicport.core.units import bare_name
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierEvent,
    DossierStatus,
    FileKind,
    ResultDelivery,
    TimeUnit,
)

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LEGAL_BASIS = "Thông tư số 01/2018/TT-VPCP"
TRACKING_PATH = "/tra-cuu/"

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_FAMILY = "DejaVuSerif"
_FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}

# Geometry in millimetres: A5 portrait.
PAGE_SIZE = (148, 210)
_MARGIN_LEFT, _MARGIN_TOP, _MARGIN_RIGHT, _MARGIN_BOTTOM = 14, 12, 10, 10
_HEAD_LEFT_WIDTH = 50
_BODY_SIZE, _HEAD_SIZE, _SMALL_SIZE, _TITLE_SIZE = 9, 7.5, 7, 10.5
_LINE = 4.4
_INDENT = 6
_SIGNATURE_SPACE = 16
_QR_SIZE = 22
_BLANK = "…………………………"

_TIME_UNITS = {TimeUnit.WORKING_DAYS: "ngày làm việc", TimeUnit.WORKING_HOURS: "giờ làm việc"}
_DELIVERY = {
    ResultDelivery.IN_PERSON: "Bộ phận tiếp nhận và trả kết quả",
    ResultDelivery.POST: "qua dịch vụ bưu chính công ích",
    ResultDelivery.ONLINE: "trực tuyến, trên Cổng dịch vụ công",
}


# --- Vietnamese dates -----------------------------------------------------------------------


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, LOCAL_TZ)


def vn_date(day: date | datetime) -> str:
    """`ngày 13 tháng 02 năm 2026` (a datetime is taken in Vietnam's time zone)."""
    if isinstance(day, datetime):
        day = _local(day).date()
    return f"ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def vn_datetime(moment: datetime) -> str:
    """`08 giờ 30 phút, ngày 13 tháng 02 năm 2026` in Vietnam's time zone."""
    local = _local(moment)
    return f"{local.hour:02d} giờ {local.minute:02d} phút, {vn_date(local.date())}"


def _number(value: Decimal) -> str:
    """5.00 → `5`, 0.50 → `0,5` (Vietnamese decimal comma)."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")


def tracking_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}{TRACKING_PATH}?ma={code}"


# --- layout ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Signer:
    """One signature column: title, the hint under it, and the signer's name if known."""

    title: str
    hint: str = "(Ký và ghi rõ họ tên)"
    name: str = ""


Run = str | tuple[str, str]  # plain text, or (style, text) with style "", "B" or "I"


def _nfc(text) -> str:
    # Precomposed letters have glyphs; a name typed with combining marks (NFD) must be composed.
    return unicodedata.normalize("NFC", str(text or ""))


class _NoticePdf(FPDF):
    """The page layout shared by the four templates."""

    def __init__(
        self,
        *,
        dossier: Dossier,
        form: str,
        title: str,
        issued_at: datetime,
        from_desk: bool = True,
    ):
        super().__init__(orientation="P", unit="mm", format=PAGE_SIZE)
        for style, file_name in _FONT_FILES.items():
            self.add_font(FONT_FAMILY, style, FONT_DIR / file_name)
        self.set_margins(_MARGIN_LEFT, _MARGIN_TOP, _MARGIN_RIGHT)
        self.set_auto_page_break(True, margin=_MARGIN_BOTTOM)
        self.set_creation_date(_local(issued_at))
        self.set_lang("vi-VN")
        self.set_title(_nfc(f"{title.capitalize()} {dossier.code or ''}".strip()))
        self.set_author(_nfc(dossier.agency.name))
        self.set_creator("CivicPort")
        self.add_page()
        self._masthead(dossier, form, issued_at, from_desk)
        self.ln(4)
        self.center(title, style="B", size=_TITLE_SIZE)
        self.ln(2)

    def header(self):
        # Decree 30/2020: pages after the first are numbered at the top, centred.
        if self.page > 1:
            self.set_font(FONT_FAMILY, "", _SMALL_SIZE)
            self.set_y(5)
            self.cell(0, 4, str(self.page), align="C")
            self.set_y(_MARGIN_TOP)

    # The agency block, the national motto and the place/date line.
    def _masthead(self, dossier: Dossier, form: str, issued_at: datetime, from_desk: bool):
        agency = dossier.agency
        if from_desk:
            upper, lower = agency.short_name or agency.name, "Bộ phận tiếp nhận và trả kết quả"
        else:
            parent = agency.parent
            upper = (parent.short_name or parent.name) if parent else ""
            lower = (agency.short_name or agency.name) if parent else agency.name
        top, left = self.t_margin, self.l_margin
        right_x, right_w = left + _HEAD_LEFT_WIDTH, self.epw - _HEAD_LEFT_WIDTH

        self.set_font(FONT_FAMILY, "I", _SMALL_SIZE)
        self.set_xy(left, top - 6)
        self.cell(0, 4, f"Mẫu số {form} ({LEGAL_BASIS})", align="R")

        self.set_xy(left, top)
        if upper:
            self._block(_HEAD_LEFT_WIDTH, _nfc(upper).upper(), "", _HEAD_SIZE)
        self._block(_HEAD_LEFT_WIDTH, _nfc(lower).upper(), "B", _HEAD_SIZE)
        self._rule(left + _HEAD_LEFT_WIDTH / 2, _HEAD_LEFT_WIDTH / 3)
        left_bottom = self.get_y()

        self.set_xy(right_x, top)
        motto = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
        self._block(right_w, motto, "B", self._fit(motto, right_w, "B", _HEAD_SIZE))
        self.set_x(right_x)
        self._block(right_w, "Độc lập - Tự do - Hạnh phúc", "B", _HEAD_SIZE + 1)
        self._rule(right_x + right_w / 2, self.get_string_width("Độc lập - Tự do - Hạnh phúc"))
        self.set_xy(right_x, max(left_bottom, self.get_y()) + 1)
        place = _place(agency)
        dated = f"{place}, {vn_date(issued_at)}" if place else vn_date(issued_at).capitalize()
        self._block(right_w, dated, "I", self._fit(dated, right_w, "I", _BODY_SIZE))

    def _block(self, width: float, text: str, style: str, size: float):
        """Centred lines in a column starting at the current x; y moves below them."""
        self.set_font(FONT_FAMILY, style, size)
        self.multi_cell(width, size * 0.45, _nfc(text), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)

    def _rule(self, centre: float, width: float):
        y = self.get_y() + 1.6
        self.set_line_width(0.25)
        self.line(centre - width / 2, y, centre + width / 2, y)
        self.set_y(y + 1.5)

    def _fit(self, text: str, width: float, style: str, size: float) -> float:
        """The largest size up to `size` at which `text` fits on one line of a cell."""
        self.set_font(FONT_FAMILY, style, size)
        while size > 5 and self.get_string_width(text) > width - 2 * self.c_margin:
            size -= 0.25
            self.set_font_size(size)
        return size

    # Body.
    def center(self, text: str, *, style: str = "", size: float = _BODY_SIZE):
        self.set_x(self.l_margin)
        self._block(self.epw, text, style, size)

    def para(self, *runs: Run, indent: float = 0):
        """A paragraph of runs in mixed styles, wrapped at the margins."""
        self.set_x(self.l_margin + indent)
        for run in runs:
            style, text = ("", run) if isinstance(run, str) else run
            self.set_font(FONT_FAMILY, style, _BODY_SIZE)
            self.write(_LINE, _nfc(text))
        self.ln(_LINE)

    def field(self, label: str, value, *, style: str = "B", indent: float = 0):
        self.para(f"{label}: ", (style, _nfc(value) or _BLANK), indent=indent)

    def items(self, entries: Iterable[str], *, empty: str = _BLANK):
        """A numbered list with hanging indents."""
        entries = [_nfc(entry) for entry in entries] or [empty]
        self.set_font(FONT_FAMILY, "", _BODY_SIZE)
        for number, entry in enumerate(entries, 1):
            label = f"{number})" if len(entries) > 1 or entry != empty else ""
            self.set_x(self.l_margin + _INDENT)
            self.cell(_INDENT, _LINE, label)
            self.multi_cell(
                self.epw - 2 * _INDENT, _LINE, entry, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )

    def applicant(self, dossier: Dossier, label: str):
        self.field(label, dossier.applicant_name)
        self.field("Địa chỉ", dossier.applicant_address, style="")
        self.para(
            "Số điện thoại: ",
            dossier.applicant_phone or _BLANK,
            "   Thư điện tử: ",
            dossier.applicant_email or _BLANK,
        )
        self.field("Nội dung yêu cầu giải quyết", dossier.procedure.name)

    def keep_space(self, height: float):
        if self.get_y() + height > self.page_break_trigger:
            self.add_page()

    def signatures(self, *signers: Signer):
        """Signature columns side by side; a single one sits in the right half."""
        self.ln(3)
        self.keep_space(_SIGNATURE_SPACE + 4 * _LINE)
        top = self.get_y()
        width = self.epw / max(len(signers), 2)
        first = self.l_margin + (self.epw / 2 if len(signers) == 1 else 0)
        bottom = top
        for index, signer in enumerate(signers):
            x = first + index * width
            self.set_xy(x, top)
            self._block(width, signer.title.upper(), "B", _BODY_SIZE)
            self.set_x(x)
            self._block(width, signer.hint, "I", _SMALL_SIZE + 0.5)
            if signer.name:
                self.set_xy(x, self.get_y() + _SIGNATURE_SPACE)
                self._block(width, signer.name, "B", _BODY_SIZE)
            bottom = max(bottom, self.get_y())
        self.set_y(bottom)

    def qr(self, url: str, caption: str):
        """The QR code (never Micro QR) of `url`, vector, with a caption to its right."""
        self.ln(2)
        self.keep_space(_QR_SIZE)
        top = self.get_y()
        svg = io.BytesIO()
        segno.make_qr(url, error="m").save(svg, kind="svg", border=4, omitsize=True, xmldecl=False)
        svg.seek(0)
        self.image(svg, x=self.l_margin, y=top, w=_QR_SIZE, h=_QR_SIZE, alt_text=url)
        self.set_xy(self.l_margin + _QR_SIZE + 2, top + 4)
        self.set_font(FONT_FAMILY, "I", _SMALL_SIZE + 0.5)
        self.multi_cell(
            self.epw - _QR_SIZE - 2,
            _LINE - 1,
            _nfc(caption),
            align="L",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_y(max(self.get_y(), top + _QR_SIZE))

    def to_bytes(self) -> bytes:
        return bytes(self.output())


def _place(agency: Agency) -> str:
    """The place of the date line: the commune for a commune committee, else the province."""
    if agency.ward_id:
        return bare_name(agency.ward.name)
    province = Province.objects.filter(code=settings.CIVICPORT_PROVINCE).first()
    return bare_name(province.name) if province else ""


def _officer_name(user) -> str:
    if user is None:
        return ""
    return getattr(user, "full_name", "") or user.get_username()


def _receiving_officer(dossier: Dossier):
    event = (
        DossierEvent.objects.filter(dossier=dossier, to_status=DossierStatus.RECEIVED)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    return event.actor if event else None


def _documents_received(dossier: Dossier) -> list[str]:
    """Names of the documents received: the required documents, once each, in their order,
    then files that answer no required document, by their own names."""
    files = sorted(
        dossier.files.filter(kind=FileKind.DOCUMENT).select_related("required_document"),
        key=lambda f: (
            f.required_document is None,
            f.required_document.order if f.required_document else 0,
            f.uploaded_at,
            f.pk,
        ),
    )
    names, seen = [], set()
    for row in files:
        if row.required_document_id is None:
            names.append(row.original_name)
        elif row.required_document_id not in seen:
            seen.add(row.required_document_id)
            names.append(row.required_document.name)
    return names


def _or_now(now: datetime | None, fallback: datetime | None = None) -> datetime:
    return now or fallback or timezone.now()


# --- the four templates ---------------------------------------------------------------------


def receipt_pdf(
    dossier: Dossier, *, base_url: str, now: datetime | None = None, officer=None
) -> bytes:
    """Mẫu số 01: receipt and appointment slip, with a QR code of the tracking page.

    `base_url` is the site's absolute root (views pass `request.build_absolute_uri("/")`).
    The date line is the receipt time (`now` overrides it); `officer` defaults to whoever
    moved the dossier to "received"."""
    if not dossier.code:
        raise ValueError("a dossier without a code has no receipt")
    received_at = dossier.received_at or dossier.submitted_at
    pdf = _NoticePdf(
        dossier=dossier,
        form="01",
        issued_at=_or_now(now, received_at),
        title="GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    )
    pdf.applicant(dossier, "Tiếp nhận hồ sơ của")
    pdf.field("Mã hồ sơ", dossier.code)
    pdf.para("1. Thành phần hồ sơ nộp gồm:")
    pdf.items(_documents_received(dossier))
    pdf.para("2. Số lượng hồ sơ: 01 (bộ).")
    procedure = dossier.procedure
    pdf.para(
        "3. Thời gian giải quyết hồ sơ theo quy định: ",
        f"{_number(procedure.time_amount)} {_TIME_UNITS.get(procedure.time_unit, '')}.",
    )
    pdf.para("4. Thời gian nhận hồ sơ: ", f"{vn_datetime(received_at)}." if received_at else _BLANK)
    pdf.para(
        "5. Thời gian trả kết quả giải quyết hồ sơ: ",
        ("B", f"{vn_datetime(dossier.due_at)}." if dossier.due_at else _BLANK),
    )
    pdf.para("6. Đăng ký nhận kết quả tại: ", _DELIVERY.get(dossier.result_delivery, _BLANK) + ".")
    url = tracking_url(base_url, dossier.code)
    pdf.qr(
        url,
        f"Quét mã QR hoặc vào {base_url.rstrip('/')}{TRACKING_PATH} và nhập mã hồ sơ "
        "để tra cứu tình trạng giải quyết hồ sơ.",
    )
    receiver = Signer(
        "Người tiếp nhận hồ sơ", name=_officer_name(officer or _receiving_officer(dossier))
    )
    if dossier.channel == Channel.ONLINE:
        pdf.signatures(receiver)
    else:
        pdf.signatures(Signer("Người nộp hồ sơ", name=dossier.applicant_name), receiver)
    return pdf.to_bytes()


def supplement_notice_pdf(
    dossier: Dossier, *, reason: str, documents: Sequence, now: datetime | None = None, officer=None
) -> bytes:
    """Mẫu số 02: request to supplement or complete the dossier. `documents` are what must be
    supplied or corrected (strings or `RequiredDocument`s)."""
    pdf = _NoticePdf(
        dossier=dossier,
        form="02",
        issued_at=_or_now(now),
        title="PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    )
    pdf.applicant(dossier, "Hồ sơ của")
    if dossier.code:
        pdf.field("Mã hồ sơ", dossier.code)
    pdf.para("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:")
    pdf.items(str(document) for document in documents)
    pdf.field("Lý do", reason, style="")
    pdf.para(
        "Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, ông/bà liên hệ ",
        dossier.agency.name,
        " để được hướng dẫn.",
        indent=_INDENT,
    )
    pdf.signatures(Signer("Người hướng dẫn", name=_officer_name(officer)))
    return pdf.to_bytes()


def refusal_notice_pdf(
    dossier: Dossier, *, reason: str, now: datetime | None = None, officer=None
) -> bytes:
    """Mẫu số 03: refusal to receive the dossier, with the reason."""
    pdf = _NoticePdf(
        dossier=dossier,
        form="03",
        issued_at=_or_now(now),
        title="PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    )
    pdf.applicant(dossier, "Hồ sơ của")
    if dossier.code:
        pdf.field("Mã hồ sơ", dossier.code)
    pdf.para(
        "Qua nghiên cứu, đối chiếu với quy định hiện hành, ",
        dossier.agency.name,
        " từ chối tiếp nhận, giải quyết hồ sơ này vì lý do sau:",
        indent=_INDENT,
    )
    pdf.para(("B", reason or _BLANK), indent=_INDENT)
    pdf.para("Xin thông báo để ông/bà được biết và thực hiện./.", indent=_INDENT)
    pdf.signatures(Signer("Người tiếp nhận hồ sơ", name=_officer_name(officer)))
    return pdf.to_bytes()


def apology_notice_pdf(
    dossier: Dossier,
    *,
    reason: str,
    new_due_at: datetime,
    previous_due_at: datetime | None = None,
    now: datetime | None = None,
    head_name: str = "",
) -> bytes:
    """Mẫu số 04: apology and new appointment for a late dossier, signed by the head of the
    agency. The appointment missed is `previous_due_at`, by default `dossier.due_at`: pass it
    when the dossier already carries the new appointment."""
    agency = dossier.agency.name
    missed = previous_due_at or dossier.due_at
    pdf = _NoticePdf(
        dossier=dossier,
        form="04",
        issued_at=_or_now(now),
        from_desk=False,
        title="PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    )
    pdf.center(f"Kính gửi: {dossier.applicant_name}", style="B")
    pdf.ln(1)
    received = dossier.received_at or dossier.submitted_at
    pdf.para(
        vn_date(received).capitalize() if received else "Ngày " + _BLANK,
        f", {agency} tiếp nhận giải quyết hồ sơ của ông/bà.",
        indent=_INDENT,
    )
    if dossier.code:
        pdf.field("Mã hồ sơ", dossier.code, indent=_INDENT)
    pdf.field("Nội dung yêu cầu giải quyết", dossier.procedure.name, indent=_INDENT)
    pdf.field(
        "Thời gian hẹn trả kết quả",
        f"{vn_datetime(missed)}." if missed else "",
        style="",
        indent=_INDENT,
    )
    pdf.para(
        f"Tuy nhiên đến nay, {agency} chưa trả kết quả giải quyết hồ sơ của ông/bà đúng "
        "hẹn. Lý do: ",
        ("B", reason or _BLANK),
        indent=_INDENT,
    )
    pdf.para(
        f"Sự chậm trễ này đã gây phiền hà cho ông/bà. {agency} xin lỗi ông/bà và hẹn trả "
        "kết quả giải quyết hồ sơ vào ",
        ("B", f"{vn_datetime(new_due_at)}."),
        indent=_INDENT,
    )
    pdf.para("Trân trọng cảm ơn./.", indent=_INDENT)
    pdf.signatures(
        Signer("Thủ trưởng cơ quan", hint="(Ký, ghi rõ họ tên và đóng dấu)", name=head_name)
    )
    return pdf.to_bytes()
