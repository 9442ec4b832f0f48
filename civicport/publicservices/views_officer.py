"""Officer pages under /can-bo/: the inbox, the dossier desk with its actions, file and notice
downloads, and desk registration of walk-in and postal dossiers.

Every page needs a login (else the login page) and an officer (else 403). A dossier outside
the officer's scope is 404 (`queries.officer_dossier`), so nothing is revealed about it.
Action POSTs answer:

* success: a redirect to the desk (post/redirect/get) with a message;
* bad input: the desk again with the form's errors, HTTP 400, nothing changed;
* a stale version or an action the dossier's status does not allow: the desk again, freshly
  read, with the message of the ConflictError/TransitionError (its `code` in
  `data-code`), HTTP 409, nothing changed;
* an action this officer may not take: ActionDenied is a PermissionDenied, so the 403 page.
"""

from functools import lru_cache, wraps
from html import escape

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from civicport.publicservices import deadlines, files, queries
from civicport.publicservices.forms_officer import (
    ACTION_FORMS,
    SLUG_ACTIONS,
    InboxFilterForm,
    RegistrationForm,
    RegistrationStartForm,
    action_forms,
)
from civicport.publicservices.workflow import (
    ACTION_LABELS,
    ConflictError,
    TransitionError,
    status_label,
)


def officer_required(view):
    """Login required; then 403 unless the user is an officer (or sees everything)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not queries.officer_pages_allowed(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return login_required(never_cache(wrapper))


@officer_required
def home(request):
    return redirect("officer:inbox")


@officer_required
@require_GET
def inbox(request):
    form = InboxFilterForm(request.GET, agencies=queries.inbox_agency_choices(request.user))
    page, status = None, 200
    if form.is_valid():
        page = queries.inbox_page(
            request.user, page=form.cleaned_data["page"] or 1, **form.filters()
        )
    else:
        status = 400
    context = {
        "form": form, "inbox": page, "query_string": form.query_string(),
        "rows_html": _inbox_rows_html(page.rows if page else []),
    }
    template = "publicservices/officer/inbox.html"
    if request.htmx and not request.htmx.boosted:
        template = "publicservices/officer/_inbox_results.html"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


# One row of the inbox table. Built here rather than in the template: a page has up to 30
# rows of some twenty values each, and the template engine spent half the page's time on
# them (a variable lookup and escaping costs several times a str.format field).
_ROW = (
    '<tr class="inbox-row urgency-row-{urgency}" data-testid="inbox-row" data-code="{code}" '
    'data-urgency="{urgency}" data-status="{status}">'
    '<td data-label="{l_dossier}"><a href="{url}" class="dossier-code" data-testid="inbox-link">'
    "{label}</a>{mark}</td>"
    '<td data-label="{l_applicant}">{applicant}</td>'
    '<td data-label="{l_procedure}">{procedure}</td>'
    '<td data-label="{l_status}">{status_text}{step}</td>'
    '<td data-label="{l_held}">{held}{received}</td>'
    '<td data-label="{l_deadline}">{deadlines}</td></tr>\n'
)
_MARK = '<span class="urgency urgency-{css}" data-testid="urgency-{css}">{label}</span>'
_STEP = '<span class="row-step">{}</span>'
_RECEIVED = '<span class="row-step" data-testid="row-transferred">{}</span>'
_DEADLINE = '<span class="row-deadline">{label}: <time datetime="{iso}">{text}</time></span>'


def _inbox_rows_html(rows) -> str:
    """The <tr> rows of the inbox table (see `_ROW`). Every value from the database or a
    translation goes through `escape` (the template's autoescape) before it is placed."""
    if not rows:
        return ""
    labels = {
        "l_dossier": _("Dossier"), "l_applicant": _("Applicant"), "l_procedure": _("Procedure"),
        "l_status": _("Status"), "l_held": _("Held by"), "l_deadline": _("Deadline"),
    }
    labels = {key: escape(label) for key, label in labels.items()}
    marks = {
        urgency: _MARK.format(css=urgency.replace("_", "-"), label=escape(label))
        for urgency, label in (
            (deadlines.URGENCY_OVERDUE, _("Overdue")),
            (deadlines.URGENCY_DUE_TODAY, _("Due today")),
            (deadlines.URGENCY_DUE_SOON, _("Due soon")),
        )
    }
    step_label, due_label = escape(_("Step")), escape(_("Appointment"))
    received_by = _("received by %(agency)s")
    marker = "0123456789"  # stands for the id: one reverse() for the page, not one per row
    url = reverse("officer:dossier", args=[marker])
    html = []
    for row in rows:
        text = {
            "urgency": row.urgency, "code": str(row.code), "status": row.status,
            "url": url.replace(marker, str(row.pk)), "label": row.code or str(row.pk),
            "applicant": row.applicant_name, "procedure": _procedure_text(row.procedure_name),
            "status_text": capfirst(status_label(row.status)),
            "held": row.current_agency_label,
        }
        fragments = {
            "mark": marks.get(row.urgency, ""),
            "step": _STEP.format(escape(row.step_name)) if row.step_name else "",
            "received": _RECEIVED.format(escape(received_by % {"agency": row.agency_label}))
            if row.transferred else "",
            "deadlines": _deadline_html(step_label, row.step_due_at)
            + _deadline_html(due_label, row.due_at),
        }
        html.append(_ROW.format(**labels, **{k: escape(v) for k, v in text.items()}, **fragments))
    return mark_safe("".join(html))  # built from escaped values only


@lru_cache(maxsize=1024)
def _procedure_text(name: str) -> str:
    """A procedure's name as the row shows it (names repeat from row to row)."""
    return Truncator(name).chars(90)


def _deadline_html(label: str, moment) -> str:
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    return _DEADLINE.format(
        label=label, iso=local.isoformat(), text=local.strftime("%d/%m/%Y %H:%M")
    )


def _desk_response(request, desk, *, bound=None, error=None, status=200):
    context = {
        "desk": desk, "dossier": desk.dossier, "forms": action_forms(desk, bound),
        "error": error,
    }
    return render(request, "publicservices/officer/desk.html", context, status=status)


@officer_required
@require_GET
def dossier_desk(request, pk):
    return _desk_response(request, queries.dossier_desk(request.user, pk))


@officer_required
@require_POST
def dossier_act(request, pk, slug):
    action = SLUG_ACTIONS.get(slug)
    if action is None:
        raise Http404("No such action.")
    desk = queries.dossier_desk(request.user, pk)
    form = ACTION_FORMS[action](request.POST, request.FILES, desk=desk)
    if form.is_valid():
        try:
            form.perform(request.user)
        except (ConflictError, TransitionError) as exc:
            fresh = queries.dossier_desk(request.user, pk)
            return _desk_response(request, fresh, error=exc, status=409)
        except ValidationError:
            pass  # the form carries the errors
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": ACTION_LABELS[action]})
            return redirect("officer:dossier", pk=pk)
    return _desk_response(request, desk, bound=form, status=400)


@officer_required
@require_GET
def dossier_file(request, pk, file_pk):
    row = queries.dossier_file(request.user, pk, file_pk)
    return FileResponse(
        files.dossier_file_open(row), as_attachment=True, filename=row.original_name,
        content_type=row.content_type,
    )


@officer_required
@require_GET
def dossier_notice(request, pk, form):
    dossier = queries.officer_dossier(request.user, pk)
    pdf = queries.dossier_notice_pdf(dossier, form, base_url=request.build_absolute_uri("/"))
    if pdf is None:
        raise Http404("No such notice for this dossier.")
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"mau-{form}-{dossier.code or dossier.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@officer_required
@require_http_methods(["GET", "POST"])
def register(request):
    if not queries.desk_agencies(request.user).exists():
        raise PermissionDenied
    code = request.POST.get("procedure") or request.GET.get("procedure")
    if not code:
        start = RegistrationStartForm(procedures=queries.registration_procedures(request.user))
        return render(request, "publicservices/officer/register_start.html", {"form": start})
    procedure = queries.registration_procedure(request.user, code)
    form = RegistrationForm(
        request.POST or None, request.FILES or None, procedure=procedure,
        agencies=queries.registration_agencies(request.user, procedure),
        wards=queries.province_wards(),
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                dossier = form.perform(request.user)
            except ValidationError:
                pass  # the form carries the errors
            else:
                messages.success(
                    request,
                    _("Dossier %(code)s registered. Print the receipt (form 01) for the "
                      "applicant.") % {"code": dossier.code},
                )
                return redirect("officer:dossier", pk=dossier.pk)
        status = 400
    return render(
        request, "publicservices/officer/register.html",
        {"form": form, "procedure": procedure}, status=status,
    )
