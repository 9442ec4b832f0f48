"""Department reports (board, submission by form or Excel, history) and the periodic IOC
reports (PDF and Excel downloads)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from civicport.core.access import agency_ids_for, sees_everything
from civicport.core.models import Agency
from civicport.ioc import access, actions, excel, queries, reports
from civicport.ioc.errors import IocError
from civicport.ioc.models import GeneratedReport, Origin, ReportTemplate
from civicport.ioc.periods import period_of, today
from civicport.ioc.views import _city_viewer, _officer

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@login_required
def board_page(request):
    _officer(request.user)
    ids = None if sees_everything(request.user) else list(agency_ids_for(request.user))
    return render(request, "ioc/reports.html", {
        "board": queries.report_board(agency_ids=ids),
        "templates": queries.templates_for(request.user),
        "generated": GeneratedReport.objects.all()[:12] if sees_everything(request.user)
        else [],
        "sees_everything": sees_everything(request.user),
        "may_close": access.may_edit_all(request.user),
        "this_month": period_of("month", today()).previous(),
        "this_week": period_of("week", today()).previous(),
    })


def _template(user, code: str) -> ReportTemplate:
    template = get_object_or_404(ReportTemplate, code=code, is_active=True)
    if not queries.templates_for(user).filter(pk=template.pk).exists():
        raise Http404
    return template


def _my_agencies(user, template: ReportTemplate) -> list[Agency]:
    agencies = template.agencies.order_by("code")
    if not access.may_edit_all(user):
        agencies = agencies.filter(pk__in=agency_ids_for(user))
    return list(agencies)


def _periods(template: ReportTemplate):
    period = period_of(template.frequency, today())
    choices = []
    for _n in range(6):
        choices.append(period)
        period = period.previous()
    return choices


@login_required
def submit_page(request, code: str):
    _officer(request.user)
    template = _template(request.user, code)
    agencies = _my_agencies(request.user, template)
    if not agencies:
        raise PermissionDenied(_("Your agency does not submit this report."))
    periods = _periods(template)
    default_period = periods[1] if len(periods) > 1 else periods[0]
    chosen = {"agency": str(agencies[0].code), "period": default_period.key}
    errors, error_message, values = {}, "", {}
    if request.method == "POST":
        chosen = {"agency": request.POST.get("agency", ""),
                  "period": request.POST.get("period", "")}
        agency = next((a for a in agencies if a.code == chosen["agency"]), None)
        upload = request.FILES.get("file")
        try:
            if agency is None:
                raise IocError("forbidden", _("You may only submit reports of your own "
                                              "agency."), status=403)
            if upload is not None:
                values, units, file_period = excel.report_parse(upload, template)
                if file_period and file_period != chosen["period"]:
                    raise IocError("wrong_period", _("The file is for the period %(file)s, not "
                                                     "%(chosen)s; nothing was imported.")
                                   % {"file": file_period, "chosen": chosen["period"]})
                origin = Origin.IMPORTED
            else:
                values = {f.code: request.POST.get(f"f_{f.code}", "")
                          for f in template.fields.all()}
                units, origin = None, Origin.SUBMITTED
            submission = actions.report_submit(
                user=request.user, template=template, period_key=chosen["period"],
                agency=agency, raw_values=values, units=units, origin=origin,
                note=request.POST.get("note", ""))
        except IocError as exc:
            error_message = exc.message
            errors = {d["field"]: d["message"] for d in exc.details}
        else:
            if submission.is_late:
                messages.warning(request, _("Report received (revision %(n)d), after the "
                                            "deadline: it is marked late.")
                                 % {"n": submission.revision})
            else:
                messages.success(request, _("Report received (revision %(n)d).")
                                 % {"n": submission.revision})
            return redirect("ioc:report_history", code=template.code,
                            agency=submission.agency.code)
    return render(request, "ioc/report_submit.html", {
        "template": template, "agencies": agencies, "periods": periods, "chosen": chosen,
        "fields": [{"field": f, "value": values.get(f.code, "") if values else "",
                    "error": errors.get(f.code, "")} for f in template.fields.all()],
        "error_message": error_message,
        "other_errors": [m for k, m in errors.items()
                         if k not in {f.code for f in template.fields.all()}],
    }, status=400 if error_message else 200)


@login_required
def report_template_download(request, code: str):
    _officer(request.user)
    template = _template(request.user, code)
    agencies = _my_agencies(request.user, template)
    agency = next((a for a in agencies if a.code == request.GET.get("agency")),
                  agencies[0] if agencies else None)
    if agency is None:
        raise Http404
    period = request.GET.get("period") or _periods(template)[1].key
    content = excel.report_template_file(template, period, agency)
    response = HttpResponse(content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{template.code}-{period}.xlsx"'
    return response


@login_required
def history_page(request, code: str, agency: str):
    _officer(request.user)
    template = _template(request.user, code)
    agency_row = queries.agency_for(request.user, agency)
    return render(request, "ioc/report_history.html", {
        "template": template, "agency": agency_row,
        "submissions": queries.submission_history(user=request.user, template=template,
                                                  agency=agency_row),
        "fields": list(template.fields.all()),
    })


@login_required
def periodic_download(request, kind: str, key: str, fmt: str):
    """The weekly or monthly IOC report of a period, generated on first request (or by the
    schedule) and kept."""
    _city_viewer(request.user)
    period = reports.parse(key, {"tuan": "week", "thang": "month"}.get(kind, ""))
    if period is None or period.start > today():
        raise Http404
    row = reports.report_generate(period)
    if fmt == "pdf":
        response = HttpResponse(row.pdf.open("rb").read(), content_type="application/pdf")
    else:
        response = HttpResponse(row.xlsx.open("rb").read(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = (
        f'attachment; filename="bao-cao-ioc-{period.kind}-{period.key}.{fmt}"')
    return response


@login_required
def period_close(request, pk: int):
    if request.method != "POST":
        raise Http404
    from civicport.ioc.models import ReportPeriod

    period = get_object_or_404(ReportPeriod, pk=pk)
    try:
        actions.report_period_close(user=request.user, period=period,
                                    reason=request.POST.get("reason", ""))
    except IocError as exc:
        raise PermissionDenied(exc.message) from None
    messages.success(request, _("The period is closed: it accepts no more reports."))
    return redirect("ioc:reports")
