"""The yearly task plan: list with overdue flags and roll-up by agency, progress updates by
the responsible agency (optimistic locking), evidence files, Excel export and import."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicport.ioc import access, actions, excel, queries
from civicport.ioc.errors import IocError
from civicport.ioc.models import Plan, TaskStatus
from civicport.ioc.periods import today
from civicport.ioc.views import _officer
from civicport.ioc.views_reports import XLSX_TYPE


def _year(request) -> int:
    try:
        return int(request.GET.get("nam", today().year))
    except ValueError:
        return today().year


@login_required
def tasks_page(request):
    _officer(request.user)
    year = _year(request)
    overdue_only = request.GET.get("qua-han") == "1"
    tasks = list(queries.tasks_for(user=request.user, year=year, overdue_only=overdue_only))
    for task in tasks:
        task.overdue = queries.is_overdue(task)
    ids = access.visible_agency_ids(request.user)
    rollup = queries.plan_rollup(year=year, today=today())
    if rollup and ids is not None:
        rollup["by_agency"] = [r for r in rollup["by_agency"] if r["agency_id"] in ids]
    return render(request, "ioc/tasks.html", {
        "tasks": tasks, "year": year, "overdue_only": overdue_only, "rollup": rollup,
        "sees_all": ids is None, "may_import": access.may_edit_all(request.user),
        "plans": Plan.objects.all(),
    })


@login_required
def task_page(request, pk: int):
    _officer(request.user)
    task = queries.task_for(request.user, pk)
    error = ""
    status = 200
    if request.method == "POST":
        try:
            version = int(request.POST.get("version", "0"))
        except ValueError:
            version = 0
        try:
            if request.FILES.get("evidence"):  # checked first: a bad file changes nothing
                actions.evidence_check(upload=request.FILES["evidence"])
            actions.task_update(user=request.user, task=task, version=version,
                                progress=request.POST.get("progress"),
                                status=request.POST.get("status") or None,
                                disbursed=request.POST.get("disbursed"),
                                reason=request.POST.get("reason", ""))
            if request.FILES.get("evidence"):
                actions.task_evidence_add(user=request.user, task=task,
                                          upload=request.FILES["evidence"])
        except IocError as exc:
            error, status = exc.message, exc.status
            task = queries.task_for(request.user, pk)
        else:
            messages.success(request, _("Task updated."))
            return redirect("ioc:task", pk=task.pk)
    from civicport.ioc.models import Event

    return render(request, "ioc/task.html", {
        "task": task, "overdue": queries.is_overdue(task), "error": error,
        "can_edit": access.may_edit_agency(request.user, task.agency_id),
        "statuses": TaskStatus.choices,
        "events": Event.objects.filter(object_type="plantask", object_id=str(task.pk))[:20],
        "evidence": task.evidence.all(),
    }, status=status)


@login_required
def tasks_export(request):
    _officer(request.user)
    tasks = queries.tasks_for(user=request.user, year=_year(request)).prefetch_related(
        "coordinating")
    response = HttpResponse(excel.tasks_export(tasks), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="nhiem-vu-{_year(request)}.xlsx"'
    return response


@login_required
@require_POST
def tasks_import(request):
    if not access.may_edit_all(request.user):
        raise PermissionDenied(_("Only city administrators import task plans."))
    year = _year(request)
    plan = Plan.objects.filter(year=year).first()
    upload = request.FILES.get("file")
    try:
        if plan is None:
            raise IocError("no_plan", _("There is no plan for %(year)d.") % {"year": year})
        if upload is None:
            raise IocError("no_file", _("Choose an Excel file."))
        result = actions.plan_tasks_save(user=request.user, plan=plan,
                                         rows=excel.tasks_parse(upload))
    except IocError as exc:
        messages.error(request, exc.message)
        for detail in exc.details[:20]:
            messages.error(request, detail["message"])
    else:
        messages.success(request, _("Imported: %(created)d new tasks, %(updated)d updated.")
                         % result)
    return redirect(f"/dieu-hanh/nhiem-vu/?nam={year}")


@login_required
def evidence_download(request, pk: int, evidence_pk: int):
    """An evidence file, for those who may see the task (others: 404)."""
    from django.http import FileResponse, Http404

    _officer(request.user)
    task = queries.task_for(request.user, pk)
    evidence = task.evidence.filter(pk=evidence_pk).first()
    if evidence is None:
        raise Http404
    return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)
