"""Live sources against the real modules: the demo data of public services, feedback and
the datahub, loaded through the seeding framework as `civicport seed --demo` does, and the
values the refresh stores compared with what each module's `queries` says."""

from importlib import import_module

import pytest

from civicport.ioc import actions, queries
from civicport.ioc.models import IndicatorValue
from civicport.ioc.periods import period_of, today

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_modules(db):
    # The seeders of the apps the IOC reads, in INSTALLED_APPS order (no static import of
    # their internals: the IOC reads them only through `queries`).
    for app in ("core", "publicservices", "feedback", "datahub", "ioc"):
        try:
            module = import_module(f"civicport.{app}.seeding")
        except ModuleNotFoundError:  # an app without demo data
            continue
        for stage in ("reference", "demo"):
            func = getattr(module, stage, None)
            if func is not None:
                func(*(() if stage == "reference" else (1,)))


def test_refresh_matches_the_modules_own_figures(demo_modules):
    ps = import_module("civicport.publicservices.queries")
    fb = import_module("civicport.feedback.queries")
    dh = import_module("civicport.datahub.queries")
    result = actions.indicators_refresh(force=True)
    assert not result["missing"] and not result["failed"], result
    year = period_of("year", today())
    start, end = year.bounds
    expected = ps.on_time_rate(start=start, end=min(end, _now()))
    stored = IndicatorValue.objects.get(indicator__code="CQS-03", period_key=year.key,
                                        scope="city")
    if expected["rate"] is None:
        assert stored.value is None
    else:
        assert stored.value == pytest.approx(expected["rate"] * 100)
        assert stored.denominator == expected["denominator"]
    summary = fb.feedback_summary(start=year.start, end=today())
    received = IndicatorValue.objects.get(indicator__code="FB-01", period_key=year.key,
                                          scope="city")
    assert received.value == summary["total"]
    assert summary["total"] > 0  # the demo has feedback reports this year
    published = dh.publishing_summary()
    datasets = IndicatorValue.objects.get(indicator__code="CQS-10",
                                          period_key=period_of("month", today()).key)
    assert datasets.value == published["datasets_open"]
    wall = {t["indicator"].code: t for t in queries.wall()["tiles"]}
    assert wall["FB-01"]["value"] is not None and not wall["FB-01"]["no_source"]


def test_demo_seed_is_idempotent(demo_modules):
    from civicport.ioc import seeding
    from civicport.ioc.models import Event, PlanTask, ReportSubmission

    tasks, reports = PlanTask.objects.count(), ReportSubmission.objects.count()
    values, events = IndicatorValue.objects.count(), Event.objects.count()
    assert tasks == 81
    total = sum(t.budget for t in PlanTask.objects.all())
    assert 399_000 <= total <= 401_000  # million VND: about 400 billion
    assert seeding.reference() == "0 IOC reference rows created"
    seeding.demo(1)
    assert (PlanTask.objects.count(), ReportSubmission.objects.count()) == (tasks, reports)
    assert IndicatorValue.objects.count() == values
    assert Event.objects.count() == events  # a second seed creates nothing


def _now():
    from django.utils import timezone

    return timezone.now()
