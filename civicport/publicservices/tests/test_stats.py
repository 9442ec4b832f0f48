"""Statistics, the Decision 766 indicators, the statistics page and its Excel export."""

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from civicport.core.calendar import working_time_between
from civicport.core.models import Agency, Role
from civicport.core.tests import factories as core
from civicport.publicservices import actions as A
from civicport.publicservices import stats
from civicport.publicservices.deadlines import classify
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierFile,
    DossierStatus,
    FileKind,
)
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.factories import at
from civicport.publicservices.workflow import FINISHED_STATUSES, OPEN_STATUSES

pytestmark = pytest.mark.usefixtures("calendar")

S = DossierStatus
MARCH = stats.period_parse("2026-03")


def make(procedure, **fields):
    """A dossier received (by default) on 2 March 2026 at 09:00, due 5 March."""
    values = {"received_at": at(2026, 3, 2, 9), "due_at": at(2026, 3, 5, 9),
              "status": S.PROCESSING} | fields
    values.setdefault("original_due_at", values["due_at"])
    return f.dossier(procedure=procedure, **values)


# --- the scoring rule (services.md §7.10) ---------------------------------------------------


@pytest.mark.parametrize(
    ("rate", "threshold", "max_points", "points"),
    [
        (0.72, 0.80, 6, 5.40),
        (0.85, 0.80, 6, 6.00),
        (0.80, 0.80, 6, 6.00),
        (0.45, 0.50, 4, 3.60),
        (980 / 1000, 1.0, 20, 19.6),
        (0.0, 0.9, 6, 0.0),
    ],
)
def test_score_766_exact_figures(rate, threshold, max_points, points):
    assert stats.score_766(rate, threshold, max_points) == points


def test_score_766_without_data_or_threshold():
    assert stats.score_766(None, 0.8, 6) is None
    with pytest.raises(ValueError):
        stats.score_766(0.5, 0, 6)


def test_tdgq_980_of_1000_on_time_scores_19_6():
    procedure = f.procedure(days=3)
    agency = procedure.agencies.get()
    person = f.citizen()
    common = {"procedure": procedure, "agency": agency, "current_agency": agency,
              "applicant": person, "applicant_name": "A", "channel": Channel.ONLINE,
              "received_at": at(2026, 3, 2, 9), "due_at": at(2026, 3, 5, 9),
              "original_due_at": at(2026, 3, 5, 9)}
    Dossier.objects.bulk_create(
        [Dossier(**common, status=S.DONE, finished_at=at(2026, 3, 4, 9)) for _ in range(980)]
        + [Dossier(**common, status=S.DONE, finished_at=at(2026, 3, 9, 9)) for _ in range(20)]
    )
    tdgq = stats.indicators_766(start=MARCH.start, end=MARCH.end)[0]
    assert (tdgq["code"], tdgq["numerator"], tdgq["denominator"]) == ("2.1", 980, 1000)
    assert (tdgq["rate"], tdgq["points"], tdgq["max_points"]) == (0.98, 19.6, 20)


# --- on time in SQL = deadlines.classify ----------------------------------------------------


def _mixed_fixture():
    """Dossiers of every judgement (and none), received in March 2026."""
    procedure = f.procedure(days=3)
    due = at(2026, 3, 12, 10)
    cases = [
        {"status": S.DONE, "finished_at": at(2026, 3, 10, 15)},  # early
        {"status": S.RETURNED, "finished_at": at(2026, 3, 12, 16, 59)},  # on time
        {"status": S.DONE, "finished_at": at(2026, 3, 12, 23, 30)},  # on time: local day
        {"status": S.DONE, "finished_at": at(2026, 3, 13, 0, 30)},  # late (UTC: 12 March)
        {"status": S.DONE, "finished_at": at(2026, 3, 16, 9)},  # late
        {"status": S.REFUSED, "finished_at": at(2026, 3, 2, 10)},  # refused early
        {"status": S.PROCESSING},  # open: in time until 12 March, then overdue
        {"status": S.NEW, "due_at": at(2026, 4, 2, 10)},  # open, due after the period
        {"status": S.DONE, "finished_at": at(2026, 3, 10, 9), "supplement_count": 2},
        {"status": S.PROCESSING, "supplement_count": 2},  # open with 2 supplements
        {"status": S.SUPPLEMENT, "supplement_count": 1, "paused_at": at(2026, 3, 11, 9)},
        {"status": S.SUPPLEMENT, "supplement_count": 1, "paused_at": at(2026, 3, 13, 9)},
        {"status": S.DONE, "finished_at": at(2026, 4, 2, 9)},  # finished after the period
        # apology: due_at moved on, the legal original_due_at judges
        {"status": S.DONE, "finished_at": at(2026, 3, 14, 9), "due_at": at(2026, 3, 20, 9),
         "original_due_at": due},
        {"status": S.DONE, "finished_at": at(2026, 3, 11, 9), "original_due_at": None},
        {"status": S.PROCESSING, "due_at": None, "original_due_at": None},
    ]
    for case in cases:
        make(procedure, **({"due_at": due} | case))


AS_OF = (at(2026, 3, 11, 12), at(2026, 3, 12, 18), MARCH.end - timedelta(microseconds=1),
         at(2026, 4, 30))


def test_sql_classification_equals_classify_on_a_mixed_fixture():
    _mixed_fixture()
    for as_of in AS_OF:
        in_sql = dict(
            Dossier.objects.annotate(judged=stats.classification_expression(as_of))
            .values_list("pk", "judged")
        )
        in_python = {d.pk: classify(dossier=d, as_of=as_of) for d in Dossier.objects.all()}
        assert in_sql == in_python, as_of
    judged = {d.pk: classify(dossier=d, as_of=MARCH.end - timedelta(microseconds=1))
              for d in Dossier.objects.order_by("pk")}
    assert set(judged.values()) == {"early", "on_time", "late", "in_time", "overdue", None}


def test_grouped_counts_equal_classify_and_the_status_sets():
    """`_counts` folds the status class into the judgement code: its judgements and its
    done/open/cancelled counts must still be those of classify() and of the workflow."""
    _mixed_fixture()
    make(f.procedure(days=3), status=S.DRAFT)  # neither open nor finished
    classes = stats._CLASS_STATUSES
    assert {*classes["done"], *classes["cancelled"]} == FINISHED_STATUSES
    assert set(classes["open"]) == OPEN_STATUSES
    dossiers = list(Dossier.objects.all())
    for end in (at(2026, 3, 12, 18), MARCH.end, at(2026, 4, 30)):
        rows = stats.dossier_counts(start=MARCH.start, end=end, by="status")
        as_of = stats.as_of_for(end)
        for status in {d.status for d in dossiers}:
            mine = [d for d in dossiers if d.status == status]
            (row,) = [row for row in rows if row["status"] == status]
            judged = [classify(dossier=d, as_of=as_of) for d in mine]
            assert {name: row[name] for name in stats.JUDGEMENTS} == {
                name: judged.count(name) for name in stats.JUDGEMENTS}, (status, end)
            assert (row["done"], row["open"], row["cancelled"]) == (
                len(mine) * (status in stats.RESULT_STATUSES),
                len(mine) * (status in OPEN_STATUSES),
                len(mine) * (status in {S.REFUSED, S.WITHDRAWN, S.STOPPED}),
            )


def test_on_time_rate_counts_open_dossiers_in_time():
    procedure = f.procedure(days=3)
    make(procedure, status=S.DONE, finished_at=at(2026, 3, 4, 9))  # early
    make(procedure, status=S.DONE, finished_at=at(2026, 3, 9, 9))  # late
    make(procedure, status=S.PROCESSING, received_at=at(2026, 3, 30, 9),
         due_at=at(2026, 4, 2, 9))  # open, in time at the period end
    make(procedure, status=S.PROCESSING)  # open, overdue
    result = stats.on_time_rate(start=MARCH.start, end=MARCH.end)
    assert result == {"rate": 0.5, "numerator": 2, "denominator": 4, "early": 1, "on_time": 0,
                      "late": 1, "in_time": 1, "overdue": 1}


# --- grouped counts, scope, rates -------------------------------------------------------------


@pytest.fixture
def two_agencies():
    """Agency A (with a sub-unit) and agency B, each with a procedure, dossiers in Jan/Feb."""
    a = f.agency(name="Sở A")
    unit = f.agency(name="Phòng của A", parent=a, kind=Agency.Kind.UNIT)
    b = f.agency(name="Sở B")
    procedures = {x: f.procedure(agency=x, days=3) for x in (a, unit, b)}

    def dossier(agency, received, **fields):
        return f.dossier(procedure=procedures[agency], agency=agency, received_at=received,
                         due_at=received + timedelta(days=5), status=S.PROCESSING, **fields)

    dossier(a, at(2026, 1, 5, 9))
    dossier(a, at(2026, 1, 31, 23, 30), channel=Channel.IN_PERSON)  # 31 Jan local, 16:30 UTC
    dossier(a, at(2026, 2, 1, 0, 30))  # 1 Feb local = 31 Jan 17:30 UTC
    dossier(unit, at(2026, 2, 10, 9))
    dossier(b, at(2026, 1, 6, 9), channel=Channel.POSTAL)
    dossier(b, at(2026, 2, 6, 9))
    dossier(b, at(2026, 3, 6, 9))  # outside the period
    return a, unit, b


def _table(rows):
    return {(r["agency_name"], r["month"].month): (r["received"], r["online"]) for r in rows}


def test_counts_by_agency_and_month_in_local_months(two_agencies):
    rows = stats.dossier_counts(start=stats.period_parse("2026-01").start,
                                end=stats.period_parse("2026-02").end, by=("agency", "month"))
    assert _table(rows) == {
        ("Sở A", 1): (2, 1), ("Sở A", 2): (1, 1), ("Phòng của A", 2): (1, 1),
        ("Sở B", 1): (1, 0), ("Sở B", 2): (1, 1),
    }
    assert all(row["agency_code"] for row in rows)


def test_counts_by_status_and_channel_and_total(two_agencies):
    period = stats.period_parse("2026-Q1")
    by_channel = stats.dossier_counts(start=period.start, end=period.end, by="channel")
    assert {r["channel"]: r["received"] for r in by_channel} == {
        "online": 5, "in_person": 1, "postal": 1,
    }
    assert {r["channel_label"] for r in by_channel} == {str(c.label) for c in Channel}
    (total,) = stats.dossier_counts(start=period.start, end=period.end, by=())
    assert (total["received"], total["open"]) == (7, 7)
    with pytest.raises(ValueError):
        stats.dossier_counts(start=period.start, end=period.end, by="colour")


def test_officer_sees_only_own_agency_and_its_units(two_agencies):
    a, unit, b = two_agencies
    january, february = stats.period_parse("2026-01"), stats.period_parse("2026-02")
    officer_a = core.officer(agencies_roles=[(a, Role.PROCESSOR)])
    officer_unit = core.officer(agencies_roles=[(unit, Role.PROCESSOR)])
    admin = core.officer(agencies_roles=[], is_city_admin=True)
    citizen = f.citizen()

    def names(user):
        rows = stats.dossier_counts(start=january.start, end=february.end, by="agency",
                                    user=user)
        return {r["agency_name"]: r["received"] for r in rows}

    assert names(officer_a) == {"Sở A": 3, "Phòng của A": 1}
    assert names(officer_unit) == {"Phòng của A": 1}
    assert names(admin) == {"Sở A": 3, "Phòng của A": 1, "Sở B": 2}
    assert names(citizen) == {}
    assert stats.online_rate(start=january.start, end=february.end, user=officer_unit) == {
        "rate": 1.0, "numerator": 1, "denominator": 1,
    }
    # The agency filter narrows, the user scope still applies.
    assert stats.on_time_rate(start=january.start, end=february.end, agency=b,
                              user=officer_a)["denominator"] == 0


def test_online_rate(two_agencies):
    period = stats.period_parse("2026-Q1")
    assert stats.online_rate(start=period.start, end=period.end) == {
        "rate": 5 / 7, "numerator": 5, "denominator": 7,
    }
    empty = stats.period_parse("2025-01")
    assert stats.online_rate(start=empty.start, end=empty.end)["rate"] is None


def test_satisfaction():
    procedure = f.procedure(days=3)
    for rating in (5, 4, 2, None):
        make(procedure, status=S.RETURNED, finished_at=at(2026, 3, 4, 9), rating=rating)
    result = stats.satisfaction(start=MARCH.start, end=MARCH.end)
    assert result["rated"] == 3 and result["mean"] == pytest.approx(11 / 3)
    assert (result["rated_low"], result["rated_high"], result["satisfied_rate"]) == (1, 2, 2 / 3)


# --- processing time ----------------------------------------------------------------------------


def test_mean_processing_days_is_working_time_less_pauses(monkeypatch):
    """Dossiers walked through the real actions: across the Hùng Kings day and 30/4–1/5 2026,
    received in the lunch break, with a supplement pause and a fee pause, finished after
    hours; the mean equals working_time_between() less the paused time, exactly."""
    agency = f.agency()
    procedure = f.procedure(agency=agency, days=10, fee=20000)
    team, citizen = f.team(agency), f.citizen()
    clock = f.Clock(monkeypatch, at(2026, 4, 24, 10, 15))

    def act(action, dossier, moment, **kwargs):
        clock.set(moment)
        return action(dossier=dossier, expected_version=dossier.version, **kwargs)

    first = A.dossier_register(officer=team.receiver, procedure=procedure, agency=agency,
                               applicant_name="Nguyễn Văn A")
    first = act(A.dossier_process, first, at(2026, 4, 24, 11), officer=team.processor)
    first = act(A.dossier_request_supplement, first, at(2026, 4, 28, 9),
                officer=team.processor, reason="Bổ sung giấy tờ")
    first = act(A.dossier_supply, first, at(2026, 4, 29, 15, 30), applicant=team.receiver)
    first = act(A.dossier_approve, first, at(2026, 5, 5, 14, 40), officer=team.approver)

    clock.set(at(2026, 4, 27, 12))
    draft = A.dossier_draft_save(applicant=citizen, procedure=procedure, agency=agency,
                                 form_data={})
    second = A.dossier_submit(dossier=draft, submit_key="s2")
    second = act(A.dossier_receive, second, at(2026, 4, 27, 14), officer=team.receiver)
    second = act(A.dossier_process, second, at(2026, 4, 27, 15), officer=team.processor)
    second = act(A.dossier_request_fee, second, at(2026, 4, 27, 16), officer=team.processor)
    second = act(A.dossier_pay_fee, second, at(2026, 4, 28, 8), actor=citizen, online=True)
    second = act(A.dossier_approve, second, at(2026, 4, 28, 18), officer=team.approver)
    clock.set(at(2026, 4, 28, 9))
    open_one = A.dossier_register(officer=team.receiver, procedure=procedure, agency=agency,
                                  applicant_name="Trần Thị B")  # not finished: not counted

    expected = (
        working_time_between(first.received_at, first.finished_at)
        - working_time_between(at(2026, 4, 28, 9), at(2026, 4, 29, 15, 30))
        + working_time_between(second.received_at, second.finished_at)
        - working_time_between(at(2026, 4, 27, 16), at(2026, 4, 28, 8))
    ) / 2 / timedelta(hours=8)
    period = stats.period_parse("2026-Q2")
    clock.set(at(2026, 7, 1, 9))
    result = stats.mean_processing_days(start=period.start, end=period.end)
    assert result["count"] == 2 and open_one.finished_at is None
    assert result["days"] == pytest.approx(expected, abs=1e-6)
    by_agency = stats.mean_processing_days(start=period.start, end=period.end, by="agency")
    assert [(r["agency"], r["count"]) for r in by_agency] == [(agency.pk, 2)]
    assert by_agency[0]["days"] == pytest.approx(expected, abs=1e-6)
    empty = stats.period_parse("2025-01")
    assert stats.mean_processing_days(start=empty.start, end=empty.end) == {
        "days": None, "count": 0,
    }


# --- Decision 766 ---------------------------------------------------------------------------


def test_indicators_766_from_the_data():
    agency = f.agency()
    online = f.procedure(agency=agency, level="toan_trinh", days=3, fee=50000)
    f.procedure(agency=agency, level="mot_phan", days=3)
    desk = f.procedure(agency=agency, level="truc_tiep", days=3)
    f.procedure(level="truc_tiep", days=3)  # another agency's: not counted for `agency`
    done = make(online, status=S.RETURNED, finished_at=at(2026, 3, 4, 9), paid_online=True,
                fee_amount=50000, rating=5)
    DossierFile.objects.create(dossier=done, kind=FileKind.RESULT, file="x.pdf",
                               original_name="x.pdf", content_type="application/pdf", size=1,
                               sha256="0" * 64)
    make(online, status=S.DONE, finished_at=at(2026, 3, 9, 9), fee_amount=50000, rating=1)
    make(desk, status=S.DONE, finished_at=at(2026, 3, 4, 9), channel=Channel.IN_PERSON)
    make(desk, status=S.PROCESSING, channel=Channel.IN_PERSON, due_at=at(2026, 4, 3, 9))
    rows = {r["code"]: r for r in stats.indicators_766(start=MARCH.start, end=MARCH.end,
                                                       agency=agency)}
    assert list(rows) == ["2.1", "3.1", "3.3", "3.6", "4.2", "5.4"]
    assert set(rows["2.1"]) >= {"code", "name", "rate", "threshold", "max_points", "points",
                                "numerator", "denominator", "rule"}
    facts = {code: (r["numerator"], r["denominator"], r["points"]) for code, r in rows.items()}
    assert facts == {
        "2.1": (3, 4, 15.0),  # 3/4 × 20
        "3.1": (2, 3, 5.0),  # 2/3 ÷ 0.8 × 6
        "3.3": (2, 4, 4.0),  # 50% reaches the threshold
        "3.6": (1, 2, 2.5),  # 1/2 × 5
        "4.2": (1, 3, 2.5),  # 1/3 ÷ 0.8 × 6
        "5.4": (2, 4, 3.33),  # 1 − (1 late + 1 rated 1 star)/4 = 0.5; 0.5 ÷ 0.9 × 6
    }
    assert rows["2.1"]["max_points_verified"] and not rows["3.1"]["max_points_verified"]


# --- periods and the chart ----------------------------------------------------------------------


def test_periods_in_local_time():
    quarter = stats.period_parse("2026-Q4")
    assert (quarter.start, quarter.end) == (at(2026, 10, 1), at(2027, 1, 1))
    assert stats.period_parse("2026").end == at(2027, 1, 1)
    assert stats.period_parse("2026-02").last_day.day == 28
    for bad in ("2026-13", "2026-Q5", "abc", "1999", "2026-1"):
        assert stats.period_parse(bad) is None
    assert stats.period_parse("", today=at(2026, 5, 9).date()).key == "2026-05"
    groups = stats.period_choices(today=at(2026, 5, 9).date())
    assert [p.key for p in groups[1][1][:2]] == ["2026-Q2", "2026-Q1"]


def test_bar_chart_geometry():
    rows = [{"m": 1, "a": 10, "b": 5}, {"m": 2, "a": 0, "b": 20}]
    chart = stats.bar_chart(rows, [("a", "x"), ("b", "y")], lambda r: str(r["m"]))
    heights = [bar["height"] for group in chart["groups"] for bar in group["bars"]]
    assert heights[0] == 2 * heights[1] and heights[2] == 0 and heights[3] == max(heights)
    assert chart["ticks"][-1]["value"] == 20


# --- the page and the export ---------------------------------------------------------------------


@pytest.fixture
def page_data():
    agency = f.agency(name="=HYPERLINK(\"http://evil\")")
    other = f.agency(name="Sở khác")
    procedure = f.procedure(agency=agency, name="=1+2 thủ tục", days=3)
    received = at(2026, 3, 2, 9)
    make(procedure, received_at=received, status=S.DONE, finished_at=at(2026, 3, 4, 9))
    make(f.procedure(agency=other, days=3), received_at=received)
    return agency, other


def _get(client, user, name, **params):
    client.force_login(user)
    return client.get(reverse(name), params)


def test_page_for_an_officer(client, page_data):
    agency, _other = page_data
    officer = core.officer(agencies_roles=[(agency, Role.RECEIVER)])
    response = _get(client, officer, "stats:page", period="2026-03")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="stats-chart"' in html and "<svg" in html
    assert "stats-766-table" in html
    assert response.context["totals"]["received"] == 1  # only the officer's agency
    assert [a.pk for a in response.context["agencies"]] == [agency.pk]
    # Another agency's code is refused and does not widen the scope.
    response = _get(client, officer, "stats:page", period="2026-03", agency=_other.code)
    assert response.context["problems"] and response.context["totals"]["received"] == 1


def test_page_for_admin_and_refusals(client, page_data):
    agency, _other = page_data
    admin = core.officer(agencies_roles=[], is_ioc_viewer=True)
    response = _get(client, admin, "stats:page", period="2026-03")
    assert response.status_code == 200 and response.context["totals"]["received"] == 2
    response = _get(client, admin, "stats:page", period="2026-03", agency=agency.code)
    assert response.context["totals"]["received"] == 1
    response = _get(client, admin, "stats:page", period="nonsense")
    assert response.status_code == 200 and response.context["problems"]
    assert _get(client, f.citizen(), "stats:page").status_code == 403
    assert _get(client, f.citizen(), "stats:export").status_code == 403
    client.logout()
    assert client.get(reverse("stats:page")).status_code == 302


def test_excel_export_opens_and_neutralises_formulas(client, page_data):
    agency, _other = page_data
    officer = core.officer(agencies_roles=[(agency, Role.APPROVER)])
    response = _get(client, officer, "stats:export", period="2026-03")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="thong-ke-2026-03.xlsx"'
    book = load_workbook(io.BytesIO(response.content))
    assert len(book.sheetnames) == 3
    by_agency, by_procedure, index = (book[name] for name in book.sheetnames)
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c for c in cells if c.data_type == "f"]  # no formula anywhere
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert "'=HYPERLINK(\"http://evil\")" in texts
    assert "'=1+2 thủ tục" in texts
    assert by_agency.max_row == 2 and by_agency["D2"].value == 1  # one agency, one month
    assert by_procedure.max_row == 2
    assert [row[0].value for row in index.iter_rows(min_row=2)][:6] == [
        "2.1", "3.1", "3.3", "3.6", "4.2", "5.4",
    ]
