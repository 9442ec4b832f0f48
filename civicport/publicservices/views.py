"""Public pages of the procedure catalogue: the searchable list and one procedure.

The list answers htmx requests (live search) with the results fragment only, and works as
a plain GET form without JavaScript.
"""

from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from civicport.publicservices import catalogue
from civicport.publicservices.models import ProcedureLevel

PAGE_SIZE = 20


def catalogue_list(request):
    filters = catalogue.catalogue_filters(
        q=request.GET.get("q", ""), agency=request.GET.get("agency", ""),
        field_code=request.GET.get("field", ""), level=request.GET.get("level", ""),
    )
    procedures = catalogue.procedure_search(**filters.search)
    page = Paginator(catalogue.procedure_list(procedures), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    page.object_list = list(page.object_list)
    for procedure in page.object_list:
        procedure.fee_display = catalogue.format_vnd(procedure.fee_amount)
    context = {"filters": filters, "page": page}
    if request.htmx and not request.htmx.boosted:
        response = render(request, "publicservices/catalogue_results.html", context)
    else:
        context |= {
            "agencies": catalogue.agency_options(),
            "fields": catalogue.field_list(),
            "levels": ProcedureLevel.choices,
            "communes": catalogue.COMMUNES,
        }
        response = render(request, "publicservices/catalogue.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def procedure_detail(request, code: str):
    procedure = catalogue.procedure_detail(code)
    if procedure is None:
        raise Http404(code)
    # The online filing page (…/nop/) belongs to the dossier module; only link it for
    # procedures that can be filed online.
    submit_url = (
        reverse("publicservices:procedure", args=[code]) + "nop/"
        if procedure.level != ProcedureLevel.OFFLINE else None
    )
    procedure.fee_display = catalogue.format_vnd(procedure.fee_amount)
    return render(request, "publicservices/procedure_detail.html", {
        "procedure": procedure,
        "agencies": catalogue.agency_summary(procedure),
        "submit_url": submit_url,
    })
