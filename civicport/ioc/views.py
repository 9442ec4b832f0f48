"""Pages of the operations centre: the public page, the wall screen, drill-downs by agency,
ward and month, the catalogue with targets, and the DTI.

Who may look (ioc.access): the public page is for everyone (public indicators only); the
other pages need an officer (IOC viewer, city administrator or agency member); the wall
screen and the city-wide views need an IOC viewer or city administrator; an agency officer's
drill-down shows only agencies in their scope (others: 404, nothing revealed).
"""

import contextlib

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicport.core.access import sees_everything
from civicport.ioc import access, actions, charts, fragments, queries
from civicport.ioc.models import DtiAssessment, Indicator
from civicport.ioc.periods import period_of, period_parse, today


def _officer(user) -> None:
    if not access.is_officer(user):
        raise PermissionDenied(_("The operations centre is for officers of the city."))


def _city_viewer(user) -> None:
    if not sees_everything(user):
        raise PermissionDenied(_("Only IOC viewers and city administrators see the whole "
                                 "city."))


def _period(request, default_kind: str = "month"):
    key = request.GET.get("ky", "")
    period = period_parse(key) if key else None
    return period or period_of(default_kind, today())


def public_page(request):
    body = fragments.fragment("public", (), "ioc/_public_body.html", queries.public_overview)
    return render(request, "ioc/public.html", {"body": body})


def _wall_fragment():
    return fragments.fragment("wall", (), "ioc/_wall_content.html", _wall_context)


@login_required
def wall_page(request):
    _city_viewer(request.user)
    return render(request, "ioc/wall.html", {"content": _wall_fragment()})


@login_required
def wall_content(request):
    """The part the wall screen polls (htmx, every 60 s)."""
    _city_viewer(request.user)
    return HttpResponse(_wall_fragment())


def _wall_context() -> dict:
    data = queries.wall()
    data["charts"] = [charts.month_bars(s) for s in data["series"]]
    return data


@login_required
@require_POST
def wall_refresh(request):
    _city_viewer(request.user)
    result = actions.indicators_refresh()
    if request.headers.get("HX-Request"):
        return wall_content(request)
    if result["skipped"]:
        from django.contrib import messages

        messages.info(request, _("A refresh is already running."))
    return redirect("ioc:wall")


@login_required
def agencies_page(request):
    _officer(request.user)
    day = today()
    agencies = list(queries.agencies_visible(request.user))
    if len(agencies) == 1 and not sees_everything(request.user):
        return redirect("ioc:agency", code=agencies[0].code)
    rollup = queries.plan_rollup(year=day.year, today=day)
    by_agency = {r["agency_id"]: r for r in (rollup["by_agency"] if rollup else [])}
    return render(request, "ioc/agencies.html", {
        "rows": [{"agency": a, "plan": by_agency.get(a.pk)} for a in agencies],
    })


@login_required
def agency_page(request, code: str):
    _officer(request.user)
    agency = queries.agency_for(request.user, code)
    period = _period(request)

    def build():
        data = queries.agency_overview(user=request.user, agency=agency, period=period)
        data["charts"] = [charts.month_bars(s) for s in data["series"]]
        for task in data["tasks"]:
            task.overdue = queries.is_overdue(task)
        return data

    # The same for everyone allowed to see the agency (checked above): cached per data change.
    body = fragments.fragment("agency", (agency.pk, period.key), "ioc/_agency_body.html", build)
    return render(request, "ioc/agency.html", {
        "agency": agency, "period": period, "periods": _month_choices(), "body": body,
    })


def _month_choices():
    period = period_of("month", today())
    choices = []
    for _n in range(12):
        choices.append(period)
        period = period.previous()
    return choices


@login_required
def wards_page(request):
    _city_viewer(request.user)
    period = _period(request, "year")
    code = request.GET.get("chi-so", "CQS-03")
    if code not in queries.MAP_CODES:
        code = "CQS-03"

    def build():
        data = queries.ward_map(code=code, period=period,
                                province_code=settings.CIVICPORT_PROVINCE)
        return {**data, "period": period}

    body = fragments.fragment("wards", (code, period.key), "ioc/_wards_body.html", build)
    return render(request, "ioc/wards.html", {
        "body": body, "code": code, "period": period,
        "choices": Indicator.objects.filter(code__in=queries.MAP_CODES),
        "periods": [period_of("year", today()), *_month_choices()],
    })


@login_required
def months_page(request):
    _city_viewer(request.user)
    year = today().year
    with contextlib.suppress(ValueError):
        year = int(request.GET.get("nam", year))
    year = min(max(year, 2020), today().year)

    def build():
        codes = [i.code for i in Indicator.objects.filter(frequency__in=["month", "week"])]
        series = queries.month_series(codes, year=year)
        return {"series": series, "months": series[0]["months"] if series else [],
                "charts": [charts.month_bars(s) for s in series
                           if s["indicator"].code in ("PS-01", "CQS-03", "FB-01")]}

    body = fragments.fragment("months", (year,), "ioc/_months_body.html", build)
    return render(request, "ioc/months.html", {
        "body": body, "year": year, "years": range(today().year, 2019, -1)})


@login_required
def indicators_page(request):
    _officer(request.user)
    period = _period(request)
    # Agency officers see the city's figures of the public indicators only; their agency's
    # figures are on their agency page.
    return render(request, "ioc/indicators.html", {
        "rows": queries.indicator_table(user=request.user, period=period, scope="city",
                                        public_only=not sees_everything(request.user)),
        "period": period, "periods": _month_choices(),
    })


@login_required
@require_POST
def dti_weights(request, code: str):
    """City administrators change a methodology's weights; a used one gets a new version."""
    from django.contrib import messages

    from civicport.ioc.errors import IocError
    from civicport.ioc.models import DtiMethodology

    methodology = DtiMethodology.objects.filter(code=code).first()
    if methodology is None:
        raise Http404
    weights = {}
    for indicator in methodology.indicators.all():
        raw = request.POST.get(f"w_{indicator.code}", "").strip()
        if raw and raw != str(indicator.max_points):
            weights[indicator.code] = int(raw) if raw.isdigit() else -1
    try:
        if not weights:
            raise IocError("nothing", _("Nothing to change."))
        result = actions.dti_weights_set(user=request.user, methodology=methodology,
                                         weights=weights, reason=request.POST.get("reason", ""))
    except IocError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        messages.error(request, exc.message)
    else:
        if result.pk != methodology.pk:
            messages.success(request, _("Scores are stored under %(old)s, so the new weights "
                                        "make a new version: %(new)s.")
                             % {"old": methodology.code, "new": result.code})
        else:
            messages.success(request, _("Weights saved."))
    return redirect("ioc:dti")


def dti_page(request):
    years = sorted({a.year for a in DtiAssessment.objects.all()}, reverse=True)
    return render(request, "ioc/dti.html", {
        "may_edit": access.may_edit_all(request.user),
        "history": queries.dti_history(), "methodologies": queries.methodologies(),
        "tables": [{"year": y, "group": g, "rows": queries.dti_table(year=y, group=g)}
                   for y in years for g in ("34", "63")
                   if DtiAssessment.objects.filter(year=y, group=g,
                                                   final_index__isnull=False).exists()],
    })
