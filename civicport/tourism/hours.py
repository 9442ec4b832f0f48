"""Opening hours in the OpenStreetMap `opening_hours` syntax: parse, evaluate, describe.

Our own parser for the subset real venues use (wiki.openstreetmap.org/wiki/Key:opening_hours):

    Mo-Fr 06:00-22:00; Sa,Su 07:00-23:00; PH off
    24/7
    Mo-Su 17:00-02:00; PH 18:00-23:00 "Tết nghỉ"
    Jan-Mar Mo-Su 08:00-12:00,13:30-17:00; Dec 24-Jan 02 off

* rules are joined by `;` (a later rule replaces earlier ones on the days it selects), `,`
  (an additional rule: adds to the day) or `||` (fallback: only when no earlier rule matched);
* a rule is an optional month or month-day range, optional weekdays (Mo…Su, ranges that may
  wrap such as Fr-Mo) and/or `PH` (public holiday), optional times (HH:MM-HH:MM, several with
  `,`; an end at or before the start runs past midnight, as does an end past 24:00 such as
  26:00; `18:00+` is an open end, counted until midnight), an optional state (`open`, `off`,
  `closed`, `unknown`) and an optional comment in double quotes;
* `24/7` is always open.

Why not the `opening-hours-py` package: with country VN it does not know the lunar holidays
(Tết comes out open — shared/reference/misc.md, part C). Our `PH` is whatever
`core.calendar.non_working_days` lists: `holidays.VN` (Tết included) plus the DayOff table.

Hours past midnight belong to the day they started on: `Mo-Su 17:00-02:00; PH off` is open
until 02:00 on the morning of a holiday (the evening before was an ordinary day) and then
closed. This is also how the weekly interval table (`weekly_intervals`) stores them, so the
indexed "open at" filter and `is_open_at` always agree.

Errors are `HoursError` with the 0-based character `position` and a message naming it
(1-based, as people count).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicport.core.calendar import non_working_days

TIMEZONE = ZoneInfo("Asia/Ho_Chi_Minh")
DAY = 1440
MAX_LENGTH = 500
WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
OPEN, OFF, UNKNOWN = "open", "off", "unknown"
NORMAL, ADDITIONAL, FALLBACK = ";", ",", "||"


class HoursError(ValueError):
    def __init__(self, message: str, position: int):
        self.position = position
        self.detail = message
        super().__init__(
            _("Opening hours: error at character %(n)d: %(detail)s")
            % {"n": position + 1, "detail": message}
        )


@dataclass(frozen=True)
class Token:
    kind: str  # weekday, ph, month, time, num, dash, comma, semi, fallback, 247, state, comment, plus
    text: str
    pos: int
    value: object = None


@dataclass
class Rule:
    separator: str = NORMAL
    months: list[tuple[int, int, int, int]] = field(default_factory=list)  # (m1, d1, m2, d2)
    weekdays: set[int] = field(default_factory=set)
    weekday_ranges: list[tuple[int, int]] = field(default_factory=list)  # for describing
    holiday: bool = False
    times: list[tuple[int, int]] = field(default_factory=list)  # minutes; end may pass 1440
    open_end: list[bool] = field(default_factory=list)
    state: str = OPEN
    comment: str = ""
    always: bool = False  # 24/7
    note_only: bool = False  # just a comment ("closed for Tết"): shown, never evaluated

    def matches(self, day: date | None, weekday: int, is_holiday: bool) -> bool:
        if self.months and (day is None or not any(_in_range(day, r) for r in self.months)):
            return False
        if self.weekdays or self.holiday:
            return weekday in self.weekdays or (self.holiday and is_holiday)
        return True


@dataclass
class Schedule:
    text: str
    rules: list[Rule]

    @property
    def seasonal(self) -> bool:
        """Depends on the month or date, not only on the weekday."""
        return any(rule.months for rule in self.rules)

    @property
    def date_bound(self) -> bool:
        """Has day-level date ranges (Dec 24-Jan 02): cannot go into the interval table."""
        return any((d1, d2) != (1, 31) for rule in self.rules for _m1, d1, _m2, d2 in rule.months)

    @property
    def uses_holidays(self) -> bool:
        return any(rule.holiday for rule in self.rules)

    def day_intervals(self, weekday: int, is_holiday: bool, day: date | None = None):
        """Open intervals (start, end) in minutes from the start of that day; an end past
        1440 runs into the next morning."""
        result: list[tuple[int, int]] = []
        matched = False
        for rule in self.rules:
            if rule.note_only or (rule.separator == FALLBACK and matched):
                continue
            if not rule.matches(day, weekday, is_holiday):
                continue
            if rule.separator == NORMAL:
                result = []  # a normal rule replaces what earlier rules said about this day
            spans = rule.times or [(0, DAY)]
            if rule.state == OPEN:
                result = _union(result + spans)
            elif rule.state == OFF:
                result = _subtract(result, spans) if rule.times else []
            else:  # unknown: neither open nor closed; we show it as closed
                result = _subtract(result, spans) if rule.times else []
            matched = True
        return result


def _in_range(day: date, span: tuple[int, int, int, int]) -> bool:
    m1, d1, m2, d2 = span
    key, start, end = (day.month, day.day), (m1, d1), (m2, d2)
    return start <= key <= end if start <= end else key >= start or key <= end


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract(spans, cuts) -> list[tuple[int, int]]:
    result = list(spans)
    for cut_start, cut_end in cuts:
        pieces = []
        for start, end in result:
            if cut_end <= start or cut_start >= end:
                pieces.append((start, end))
                continue
            if start < cut_start:
                pieces.append((start, cut_start))
            if cut_end < end:
                pieces.append((cut_end, end))
        result = pieces
    return result


# --- tokenizer ----------------------------------------------------------------------------

_TOKEN = re.compile(
    r"""(?P<space>\s+)
      |(?P<always>24/7)
      |(?P<time>\d{1,2}:\d{2})
      |(?P<num>\d{1,2})(?![\d:])
      |(?P<word>[A-Za-z]+)
      |(?P<comment>"[^"]*")
      |(?P<fallback>\|\|)
      |(?P<punct>[-,;+])
    """,
    re.VERBOSE,
)
_STATES = {"open": OPEN, "off": OFF, "closed": OFF, "close": OFF, "unknown": UNKNOWN}


def _tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise HoursError(_("unexpected character “%(c)s”") % {"c": text[pos]}, pos)
        kind = match.lastgroup
        value = match.group()
        if kind == "space":
            pass
        elif kind == "always":
            tokens.append(Token("247", value, pos))
        elif kind == "time":
            hours, minutes = (int(x) for x in value.split(":"))
            if minutes > 59 or hours > 48:
                raise HoursError(_("“%(t)s” is not a time of day") % {"t": value}, pos)
            tokens.append(Token("time", value, pos, hours * 60 + minutes))
        elif kind == "num":
            tokens.append(Token("num", value, pos, int(value)))
        elif kind == "word":
            tokens.append(_word(value, pos))
        elif kind == "comment":
            tokens.append(Token("comment", value, pos, value[1:-1]))
        elif kind == "fallback":
            tokens.append(Token("fallback", value, pos))
        else:
            tokens.append(Token({"-": "dash", ",": "comma", ";": "semi", "+": "plus"}[value],
                                value, pos))
        pos = match.end()
    return tokens


def _word(value: str, pos: int) -> Token:
    if value in WEEKDAYS:
        return Token("weekday", value, pos, WEEKDAYS.index(value))
    if value == "PH":
        return Token("ph", value, pos)
    if value in MONTHS:
        return Token("month", value, pos, MONTHS.index(value) + 1)
    if value.lower() in _STATES:
        return Token("state", value, pos, _STATES[value.lower()])
    if value in ("SH", "week", "sunrise", "sunset", "dawn", "dusk", "easter"):
        raise HoursError(_("“%(w)s” is not supported here") % {"w": value}, pos)
    raise HoursError(_("unknown word “%(w)s”") % {"w": value}, pos)


# --- parser -------------------------------------------------------------------------------


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0

    def peek(self, offset: int = 0) -> Token | None:
        j = self.i + offset
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        token = self.peek()
        if token is None or token.kind != kind:
            raise HoursError(_("expected %(what)s") % {"what": what}, self._pos(token))
        return self.take()

    def _pos(self, token: Token | None) -> int:
        return token.pos if token else len(self.text)

    def parse(self) -> list[Rule]:
        rules = [self.rule(NORMAL)]
        while self.peek() is not None:
            token = self.take()
            separator = {"semi": NORMAL, "comma": ADDITIONAL, "fallback": FALLBACK}.get(token.kind)
            if separator is None:
                raise HoursError(_("expected “;” between rules"), token.pos)
            if self.peek() is None and separator == NORMAL:
                break  # a trailing ";" is harmless
            rules.append(self.rule(separator))
        return rules

    def rule(self, separator: str) -> Rule:
        rule = Rule(separator=separator)
        start = self.peek()
        if start is None:
            raise HoursError(_("a rule is empty"), len(self.text))
        if start.kind == "247":
            self.take()
            rule.always = True
        else:
            if start.kind == "month":
                self.months(rule)
            if self.peek() and self.peek().kind in ("weekday", "ph"):
                self.weekdays(rule)
            if self.peek() and self.peek().kind == "time":
                self.times(rule)
        token = self.peek()
        if token and token.kind == "state":
            rule.state = self.take().value
        token = self.peek()
        if token and token.kind == "comment":
            rule.comment = self.take().value.strip()
        token = self.peek()
        if token and token.kind not in ("semi", "comma", "fallback"):
            raise HoursError(_("unexpected “%(t)s”") % {"t": token.text}, token.pos)
        selects = (rule.always or rule.months or rule.weekdays or rule.holiday or rule.times
                   or rule.state != OPEN)
        if not (selects or rule.comment):
            raise HoursError(_("a rule is empty"), self._pos(token))
        rule.note_only = not selects
        return rule

    def months(self, rule: Rule) -> None:
        while True:
            first = self.expect("month", _("a month (Jan…Dec)"))
            day1 = self.take().value if self.peek() and self.peek().kind == "num" else None
            m2, day2 = first.value, day1
            if self.peek() and self.peek().kind == "dash":
                self.take()
                token = self.peek()
                if token and token.kind == "month":
                    m2 = self.take().value
                    day2 = self.take().value if self.peek() and self.peek().kind == "num" else None
                elif token and token.kind == "num" and day1 is not None:
                    day2 = self.take().value
                else:
                    raise HoursError(_("expected a month (Jan…Dec)"), self._pos(token))
            for value, tok in ((day1, first), (day2, first)):
                if value is not None and not 1 <= value <= 31:
                    raise HoursError(_("“%(d)s” is not a day of the month") % {"d": value},
                                     tok.pos)
            rule.months.append((first.value, day1 or 1, m2, day2 or 31))
            if not (self.peek() and self.peek().kind == "comma"
                    and self.peek(1) and self.peek(1).kind == "month"):
                return
            self.take()

    def weekdays(self, rule: Rule) -> None:
        while True:
            token = self.take()
            if token.kind == "ph":
                rule.holiday = True
            else:
                end = token
                if self.peek() and self.peek().kind == "dash":
                    self.take()
                    end = self.expect("weekday", _("a weekday (Mo…Su)"))
                days = [(token.value + k) % 7 for k in range((end.value - token.value) % 7 + 1)]
                rule.weekdays.update(days)
                rule.weekday_ranges.append((token.value, end.value))
            following = self.peek(1)
            if not (self.peek() and self.peek().kind == "comma" and following
                    and following.kind in ("weekday", "ph")):
                nxt = self.peek()
                if nxt and nxt.kind == "num":
                    raise HoursError(_("expected a time such as 08:00"), nxt.pos)
                return
            self.take()

    def times(self, rule: Rule) -> None:
        while True:
            start = self.expect("time", _("a time such as 08:00"))
            if start.value > DAY:
                raise HoursError(_("a start time must be 24:00 or earlier"), start.pos)
            if self.peek() and self.peek().kind == "plus":
                self.take()
                rule.times.append((start.value, DAY))
                rule.open_end.append(True)
            else:
                self.expect("dash", _("“-” between two times"))
                end = self.expect("time", _("a closing time such as 22:00"))
                stop = end.value
                if stop <= start.value:
                    stop += DAY  # past midnight
                if stop - start.value > DAY:
                    raise HoursError(_("a time span is longer than a day"), end.pos)
                rule.times.append((start.value, stop))
                rule.open_end.append(False)
            if not (self.peek() and self.peek().kind == "comma"
                    and self.peek(1) and self.peek(1).kind == "time"):
                return
            self.take()


def parse(text: str) -> Schedule:
    """Parse `text`; raises HoursError (with the position) when it is not valid."""
    text = (text or "").strip()
    if not text:
        raise HoursError(_("the opening hours are empty"), 0)
    if len(text) > MAX_LENGTH:
        raise HoursError(_("the opening hours are too long"), MAX_LENGTH)
    return _parse_cached(text)


@lru_cache(maxsize=4096)
def _parse_cached(text: str) -> Schedule:
    return Schedule(text=text, rules=_Parser(text).parse())


# --- holidays and evaluation -------------------------------------------------------------


HOLIDAY_TTL_SECONDS = 60.0  # as long as core.calendar trusts its DayOff/MakeupWorkday copy
_holiday_cache: dict[int, tuple[float, frozenset[date]]] = {}


def holiday_dates(year: int) -> frozenset[date]:
    """Public holidays of `year` as a set: "open at" asks this for every seasonal venue."""
    now = time.monotonic()
    cached = _holiday_cache.get(year)
    if cached is None or now - cached[0] > HOLIDAY_TTL_SECONDS:
        cached = (now, frozenset(h.date for h in non_working_days(year)))
        _holiday_cache[year] = cached
    return cached[1]


def holiday_cache_clear() -> None:
    _holiday_cache.clear()


def is_public_holiday(day: date) -> bool:
    return day in holiday_dates(day.year)


def local(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("a timezone-aware moment is needed")
    return moment.astimezone(TIMEZONE)


def is_open_at(schedule: Schedule, moment: datetime) -> bool:
    """Open at `moment`, in Hải Phòng time, with Vietnamese public holidays for PH."""
    here = local(moment)
    today = here.date()
    minute = here.hour * 60 + here.minute
    yesterday = today - timedelta(days=1)
    for day, at in ((today, minute), (yesterday, minute + DAY)):
        spans = schedule.day_intervals(day.weekday(), is_public_holiday(day), day)
        if any(start <= at < end for start, end in spans):
            return True
    return False


def weekly_intervals(schedule: Schedule) -> list[tuple[int, bool, int, int, int]]:
    """(weekday, is_holiday, month, start, end) for every open interval of an ordinary week and
    of a week whose every day is a holiday: the rows of the indexed "open at" table. Month 0
    means every month; whole-month rules get rows per month 1-12. Not for `date_bound`
    schedules (those are evaluated one by one)."""
    if schedule.date_bound:
        raise ValueError("day-level date ranges cannot be stored as weekly intervals")
    months = [(m, date(2001, m, 15)) for m in range(1, 13)] if schedule.seasonal else [(0, None)]
    rows = []
    for month, sample in months:
        for weekday in range(7):
            for holiday in (False, True):
                for start, end in schedule.day_intervals(weekday, holiday, sample):
                    rows.append((weekday, holiday, month, start, end))
    return rows


def editor_rows(text: str) -> tuple[list[dict], bool]:
    """The editor's rows for an existing text: per weekday up to two ordinary-day sessions,
    and whether the venue closes on public holidays. Empty rows when the text does not fit
    the table (seasonal, more than two sessions, or invalid): the text field still holds it."""
    blank = [{"open": False, "spans": []} for _ in range(7)]
    try:
        schedule = parse(text) if text and text.strip() else None
    except HoursError:
        schedule = None
    if schedule is None or schedule.seasonal:
        return blank, False
    rows = []
    for weekday in range(7):
        spans = schedule.day_intervals(weekday, False)
        if len(spans) > 2:
            return blank, False
        rows.append({"open": bool(spans),
                     "spans": [(_hhmm(s), _hhmm(e)) for s, e in spans]})
    ph_off = any(rows[w]["open"] for w in range(7)) and not any(
        schedule.day_intervals(w, True) for w in range(7))
    return rows, ph_off


# --- plain Vietnamese description -------------------------------------------------------


def day_names() -> list[str]:
    # Own context: Django's catalogue says "Thứ 2"; a rendering for people says "Thứ Hai".
    return [pgettext("opening hours", "Monday"), pgettext("opening hours", "Tuesday"),
            pgettext("opening hours", "Wednesday"), pgettext("opening hours", "Thursday"),
            pgettext("opening hours", "Friday"), pgettext("opening hours", "Saturday"),
            pgettext("opening hours", "Sunday")]


def _hhmm(minutes: int) -> str:
    if minutes != DAY:
        minutes %= DAY
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _describe_days(rule: Rule) -> str:
    names = day_names()
    parts = []
    if len(rule.weekdays) == 7:
        parts.append(_("every day"))
    else:
        for first, last in rule.weekday_ranges:
            parts.append(names[first] if first == last else f"{names[first]}–{names[last]}")
    if rule.holiday:
        parts.append(_("public holidays"))
    return ", ".join(parts)


def _describe_months(rule: Rule) -> str:
    parts = []
    for m1, d1, m2, d2 in rule.months:
        if (d1, d2) == (1, 31):
            parts.append(_("month %(m)d") % {"m": m1} if m1 == m2
                         else _("months %(a)d–%(b)d") % {"a": m1, "b": m2})
        else:
            parts.append(f"{d1:02d}/{m1:02d}–{d2:02d}/{m2:02d}")
    return ", ".join(parts)


def _describe_rule(rule: Rule) -> str:
    if rule.always:
        text = _("open 24 hours, every day")
    else:
        where = " ".join(p for p in (_describe_months(rule), _describe_days(rule)) if p)
        spans = [
            _("from %(t)s") % {"t": _hhmm(s)} if open_end else f"{_hhmm(s)}–{_hhmm(e)}"
            for (s, e), open_end in zip(rule.times, rule.open_end, strict=True)
        ]
        if rule.state == OFF:
            what = _("closed") + (" " + ", ".join(spans) if spans else "")
            text = f"{what} {where}".strip() if where else what
            if rule.holiday and not rule.weekdays and not rule.months and not spans:
                text = _("closed on public holidays")
        elif rule.state == UNKNOWN:
            text = " ".join(p for p in (where, _("hours unknown")) if p)
        else:
            text = " ".join(p for p in (where, ", ".join(spans))
                            if p) or _("open")
    if rule.note_only:
        text = rule.comment
    elif rule.comment:
        text = f"{text} ({rule.comment})"
    return text[:1].upper() + text[1:]


def describe(text: str) -> str:
    """Plain Vietnamese: 'Thứ Hai–Thứ Sáu 06:00–22:00; nghỉ ngày lễ'."""
    rules = parse(text).rules
    parts = []
    for index, rule in enumerate(rules):
        part = _describe_rule(rule)
        if index:
            part = part[:1].lower() + part[1:] if rule.state == OFF else part
            part = {ADDITIONAL: ", ", FALLBACK: _("; otherwise ")}.get(rule.separator, "; ") + part
        parts.append(part)
    return "".join(parts)
