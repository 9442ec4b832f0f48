"""Excel export and import of the catalogue.

Requirements: an exported workbook imported back changes nothing; every bad row is reported
with its sheet, row and column, and a file with any problem changes nothing; malformed files
(not xlsx, too big, too many rows, wrong headers, formulas) are refused; text that a
spreadsheet would run as a formula is neutralised on export and restored on import.
"""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook, load_workbook

from civicport.publicservices import excel
from civicport.publicservices.excel import (
    CatalogueImportError,
    catalogue_export,
    catalogue_import,
    safe_cell,
    unsafe_cell,
)
from civicport.publicservices.models import Procedure, ProcedureStep
from civicport.publicservices.tests.test_catalogue import seed_catalogue, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    seed_catalogue()


@pytest.fixture
def exported(seeded):
    return catalogue_export()


def edited(data: bytes, change) -> io.BytesIO:
    """The workbook `data` after `change(book)`, as a file."""
    book = load_workbook(io.BytesIO(data))
    change(book)
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def row_of(sheet, code: str, order: int | None = None) -> int:
    for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
        if row[0] == code and (order is None or row[1] == order):
            return number
    raise AssertionError(f"{code} not in {sheet.title}")


def problems(source) -> list[tuple[str, int, str]]:
    with pytest.raises(CatalogueImportError) as caught:
        catalogue_import(source)
    return [(p.sheet, p.row, p.column.split(" ")[0]) for p in caught.value.problems]


# --- export and round trip -----------------------------------------------------------------


def test_export_layout(exported):
    book = load_workbook(io.BytesIO(exported))
    assert book.sheetnames == ["Procedures", "Steps", "Documents"]
    procedures = book["Procedures"]
    assert [c.value for c in procedures[1]] == [c.header for c in excel.SHEETS["Procedures"]]
    assert [c.value for c in procedures[2]] == [c.help for c in excel.SHEETS["Procedures"]]
    assert procedures.max_row == 2 + 30
    assert book["Steps"].max_row == 2 + ProcedureStep.objects.count()
    birth = [c.value for c in procedures[row_of(procedures, "1.001193")]]
    assert birth[:9] == ["1.001193", "Đăng ký khai sinh", "ho-tich", "Hộ tịch", "UBND cấp xã",
                         "toàn trình", 8, "giờ làm việc", 0]
    licence = [c.value for c in procedures[row_of(procedures, "3.000347")]]
    assert licence[4:9] == ["000.00.15.H31 (Công an thành phố)", "toàn trình", 5,
                            "ngày làm việc", 135000]
    steps = book["Steps"]
    assert [c.value for c in steps[row_of(steps, "3.000722", 4)]] == [
        "3.000722", 4, "Đăng ký thường trú cho trẻ", "000.00.15.H31 (Công an thành phố)",
        "xử lý", 16,
    ]


def test_round_trip_changes_nothing(exported):
    before = snapshot()
    assert catalogue_import(io.BytesIO(exported)) == {
        "procedures": 30, "created": 0, "updated": 0, "unchanged": 30,
    }
    assert snapshot() == before


def test_import_creates_and_updates(exported):
    def change(book):
        sheet = book["Procedures"]
        number = row_of(sheet, "1.000894")
        sheet.cell(number, 2, "Đăng ký kết hôn (sửa)")
        sheet.cell(number, 9, "15.000")  # typed with a thousands separator
        new = [c.value for c in sheet[row_of(sheet, "2.000635")]]
        new[0], new[1], new[14] = "2.999999.H31", "Thủ tục mới", "không"
        sheet.append(new)
        book["Steps"].append(["2.999999.H31", 1, "Xử lý", "", "xử lý", 2])
        book["Documents"].append(["2.999999.H31", 1, "Tờ khai", "có", "01 bản"])

    before = snapshot()
    counts = catalogue_import(edited(exported, change))
    assert counts == {"procedures": 31, "created": 1, "updated": 1, "unchanged": 29}
    marriage = Procedure.objects.get(code="1.000894")
    assert (marriage.name, marriage.fee_amount) == ("Đăng ký kết hôn (sửa)", 15000)
    new = Procedure.objects.get(code="2.999999.H31")
    assert (new.is_active, new.agencies.count(), new.steps.count(), new.documents.count()) == (
        False, 114, 1, 1,
    )
    after = snapshot()
    changed = {c for c, at in after["procedures"].items() if before["procedures"].get(c) != at}
    assert changed == {"1.000894", "2.999999.H31"}


def test_removing_step_rows_removes_the_steps(exported):
    def change(book):
        book["Steps"].delete_rows(row_of(book["Steps"], "1.000894", 4))

    catalogue_import(edited(exported, change))
    assert list(Procedure.objects.get(code="1.000894").steps.values_list("order", flat=True)) \
        == [1, 2, 3]


def test_dry_run_changes_nothing(exported):
    def change(book):
        book["Procedures"].cell(3, 2, "Tên khác")

    before = snapshot()
    assert catalogue_import(edited(exported, change), dry_run=True)["procedures"] == 30
    assert snapshot() == before


# --- row errors: each leaves the database unchanged ----------------------------------------


def _set(sheet: str, code: str, column: int, value, order: int | None = None):
    def change(book):
        book[sheet].cell(row_of(book[sheet], code, order), column, value)
    return change


def _append(sheet: str, values: list):
    def change(book):
        book[sheet].append(values)
    return change


def _copy(code: str):
    """Append a copy of the row of 1.000894 with `code`."""
    def change(book):
        sheet = book["Procedures"]
        sheet.append([code] + [c.value for c in sheet[row_of(sheet, "1.000894")]][1:])
    return change


ROW_ERRORS = [
    pytest.param(_set("Procedures", "1.000894", 3, "khong-co"), "C", id="unknown-field"),
    pytest.param(_set("Procedures", "1.000894", 6, "mức 4"), "F", id="bad-level"),
    pytest.param(_set("Procedures", "1.000894", 7, 0), "G", id="zero-time"),
    pytest.param(_set("Procedures", "1.000894", 7, "ba ngày"), "G", id="text-time"),
    pytest.param(_set("Procedures", "1.000894", 7, 1.234), "G", id="three-decimals"),
    pytest.param(_set("Procedures", "1.000894", 8, "tuần"), "H", id="bad-unit"),
    pytest.param(_set("Procedures", "1.000894", 5, "000.99.99.H31"), "E", id="unknown-agency"),
    pytest.param(_set("Procedures", "1.000894", 9, -5), "I", id="negative-fee"),
    pytest.param(_copy("KH-01"), "A", id="bad-code"),
    pytest.param(_set("Procedures", "1.000894", 2, ""), "B", id="empty-name"),
    pytest.param(_set("Procedures", "1.000894", 2, "x" * 501), "B", id="long-name"),
    pytest.param(_set("Procedures", "1.000894", 14, "[{"), "N", id="bad-json"),
    pytest.param(_set("Procedures", "1.000894", 14, '[{"key": "a"}]'), "N", id="bad-form"),
    pytest.param(_set("Procedures", "1.000894", 15, "có lẽ"), "O", id="bad-boolean"),
    pytest.param(_set("Procedures", "1.000894", 2, "=1+1"), "B", id="formula"),
    pytest.param(_set("Procedures", "1.000894", 7, 0.5), "G", id="steps-exceed-time"),
    pytest.param(_copy("1.000894"), "A", id="duplicate-code"),
    pytest.param(_set("Steps", "1.000894", 5, "trưởng phòng", order=2), "E", id="bad-role"),
    pytest.param(_set("Steps", "1.000894", 4, "UBND cấp xã", order=2), "D",
                 id="step-at-many-agencies"),
    pytest.param(_set("Steps", "1.000894", 2, 1, order=2), "B", id="duplicate-step-order"),
    pytest.param(_append("Steps", ["9.999999", 1, "Bước", "", "xử lý", 1]), "A",
                 id="step-of-unknown-procedure"),
    pytest.param(_set("Documents", "1.000894", 2, "một", order=1), "B", id="bad-order"),
]


@pytest.mark.parametrize(("change", "column"), ROW_ERRORS)
def test_bad_row_is_reported_and_nothing_changes(exported, change, column):
    book = load_workbook(io.BytesIO(exported))
    before = snapshot()
    found = problems(edited(exported, change))
    assert len(set(found)) == 1, found  # one cell (which may break several rules)
    sheet, row, letter = found[0]
    assert letter == column
    assert sheet in book.sheetnames and row >= 3
    assert snapshot() == before


def test_every_problem_is_reported_at_once(exported):
    def change(book):
        procedures = book["Procedures"]
        procedures.cell(row_of(procedures, "1.000894"), 3, "khong-co")
        procedures.cell(row_of(procedures, "1.000656"), 6, "mức 4")
        book["Steps"].cell(row_of(book["Steps"], "2.000635", 1), 6, "nhiều")

    book = load_workbook(io.BytesIO(exported))
    assert problems(edited(exported, change)) == [
        ("Procedures", row_of(book["Procedures"], "1.000656"), "F"),
        ("Procedures", row_of(book["Procedures"], "1.000894"), "C"),
        ("Steps", row_of(book["Steps"], "2.000635", 1), "F"),
    ]


def test_problem_message_names_sheet_row_and_column(exported):
    with translation.override("en"):
        with pytest.raises(CatalogueImportError) as caught:
            catalogue_import(edited(exported, _set("Procedures", "1.000894", 6, "mức 4")))
        message = caught.value.messages()[0]
    assert message.startswith("Sheet Procedures, row ")
    assert ", column F (Mức độ dịch vụ công): mức 4 is not one of: toàn trình, một phần, " \
           "trực tiếp." in message


def test_step_used_by_a_dossier_cannot_be_removed(exported):
    from civicport.publicservices.tests import factories

    procedure = Procedure.objects.get(code="1.000894")
    factories.dossier(procedure=procedure, current_step=procedure.steps.get(order=4))

    def change(book):
        book["Steps"].delete_rows(row_of(book["Steps"], "1.000894", 4))

    before = snapshot()
    assert problems(edited(exported, change))[0][2] == "A"
    assert snapshot() == before


# --- malformed files -----------------------------------------------------------------------


def test_not_an_xlsx(seeded):
    with translation.override("en"), pytest.raises(CatalogueImportError) as caught:
        catalogue_import(io.BytesIO(b"Ma thu tuc,Ten\n1.001193,Khai sinh\n"))
    assert caught.value.messages() == [
        "The file is not an Excel workbook (.xlsx). Export the catalogue to get a template."
    ]


def test_a_zip_that_is_not_a_workbook(seeded):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "xin chào")
    with pytest.raises(CatalogueImportError):
        catalogue_import(buffer)


def test_file_too_big(exported, monkeypatch):
    monkeypatch.setattr(excel, "MAX_FILE_BYTES", 1000)
    with translation.override("en"), pytest.raises(CatalogueImportError) as caught:
        catalogue_import(io.BytesIO(exported))
    assert "the limit is 0 MB" in caught.value.messages()[0]


def test_zip_bomb_is_refused_before_parsing(seeded, monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" + b"a" * 2_000_000 + b">")
    monkeypatch.setattr(excel, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    assert len(buffer.getvalue()) < 100_000
    with translation.override("en"), pytest.raises(CatalogueImportError) as caught:
        catalogue_import(buffer)
    assert caught.value.messages() == [
        "The workbook unpacks to more than 0 MB; split it into smaller files."
    ]


def test_too_many_rows(exported, monkeypatch):
    monkeypatch.setattr(excel, "MAX_ROWS", 5)
    before = snapshot()
    with translation.override("en"):
        with pytest.raises(CatalogueImportError) as caught:
            catalogue_import(io.BytesIO(exported))
        assert "Sheet Procedures: More than 5 rows; split the file." in caught.value.messages()
    assert snapshot() == before


def test_wrong_headers_and_missing_sheet(exported):
    def change(book):
        book["Procedures"].cell(1, 2, "Tên")
        del book["Documents"]

    with translation.override("en"):
        with pytest.raises(CatalogueImportError) as caught:
            catalogue_import(edited(exported, change))
        messages = caught.value.messages()
    assert len(messages) == 2
    assert messages[0].startswith("Sheet Procedures: The headers do not match the template.")
    assert messages[1] == "The sheet Documents is missing. Export the catalogue to get a template."


def test_blank_workbook_is_refused(seeded):
    buffer = io.BytesIO()
    Workbook().save(buffer)
    buffer.seek(0)
    assert len(problems(buffer)) == 3


# --- formula injection ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
        ("+84 912", "'+84 912"),
        ("-5 đồng", "'-5 đồng"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("Đăng ký khai sinh", "Đăng ký khai sinh"),
        ("a\x01b", "ab"),
        (5, 5),
        (-5, -5),
        (None, None),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected
    if isinstance(value, str) and value.isprintable():
        assert unsafe_cell(safe_cell(value)) == value


def test_formulas_are_neutralised_and_round_trip(seeded):
    Procedure.objects.filter(code="1.000894").update(
        name="=HYPERLINK(\"http://evil\",\"x\")", fee_description="- 50.000 đồng",
        legal_basis="@import", requirements="+1",
    )
    data = catalogue_export()
    sheet = load_workbook(io.BytesIO(data))["Procedures"]
    cells = sheet[row_of(sheet, "1.000894")]
    assert (cells[1].value, cells[1].data_type) == ("'=HYPERLINK(\"http://evil\",\"x\")", "s")
    assert [cells[9].value, cells[10].value, cells[12].value] == [
        "'- 50.000 đồng", "'@import", "'+1",
    ]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    before = snapshot()
    assert catalogue_import(io.BytesIO(data))["unchanged"] == 30
    assert snapshot() == before


# --- the command ---------------------------------------------------------------------------


def test_command_export_and_import(seeded, tmp_path):
    path = tmp_path / "thu-tuc.xlsx"
    out = io.StringIO()
    call_command("procedures", "export", str(path), stdout=out)
    call_command("procedures", "import", str(path), stdout=out)
    assert out.getvalue().splitlines()[-1] == (
        "30 procedures: created 0, updated 0, unchanged 30"
    )


def test_command_reports_problems(exported, tmp_path):
    path = tmp_path / "loi.xlsx"
    path.write_bytes(edited(exported, _set("Procedures", "1.000894", 6, "mức 4")).getvalue())
    err = io.StringIO()
    with translation.override("en"), pytest.raises(CommandError, match="1 problems"):
        call_command("procedures", "import", str(path), stderr=err)
    assert "column F (Mức độ dịch vụ công)" in err.getvalue()
    assert Procedure.objects.get(code="1.000894").level == "mot_phan"


def test_decimal_hours_survive_the_round_trip(exported):
    step = ProcedureStep.objects.get(procedure__code="2.000815", order=1)
    assert step.hours == Decimal("0.50")
    catalogue_import(io.BytesIO(exported))
    step.refresh_from_db()
    assert step.hours == Decimal("0.50")
