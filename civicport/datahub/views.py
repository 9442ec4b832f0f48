"""Pages of the open-data portal (/du-lieu/...): catalogue search with facets, dataset page
(preview, chart, downloads, versions, API examples), the publisher's upload and progress
pages, the publishing dashboard, and downloads."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from civicport.datahub import actions, charts, dcat, engine, ingest, queries, storage, uploads
from civicport.datahub.forms import DatasetUploadForm, VersionUploadForm
from civicport.datahub.models import Access, IngestJob, Resource

PAGE_SIZE = 20
DOWNLOAD_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "parquet": "application/vnd.apache.parquet",
}


def catalogue(request):
    q = request.GET.get("q", "").strip()[:200]
    filters = [(key, request.GET[key]) for key in queries.FACETS if request.GET.get(key)]
    try:
        page = max(1, int(request.GET.get("trang", 1)))
    except ValueError:
        page = 1
    result = queries.dataset_search(request.user, q=q, filters=filters,
                                    sort=request.GET.get("sort", ""), rows=PAGE_SIZE,
                                    start=(page - 1) * PAGE_SIZE)
    facet_titles = {"organization": _("Publishing agency"), "tags": _("Tag"),
                    "res_format": _("Format"), "access_level": _("Access")}
    active = dict(filters)
    facets = [
        {"key": key, "title": facet_titles[key], "items": [
            {"value": value, "label": result.labels[key].get(value, value), "count": count,
             "active": active.get(key) == value}
            for value, count in list(counts.items())[:12]]}
        for key, counts in result.facets.items() if counts
    ]
    context = {
        "q": q, "result": result, "facets": facets, "filters": active, "page": page,
        "has_next": page * PAGE_SIZE < result.count, "summary": queries.publishing_summary(),
        "can_upload": queries.publisher_agencies(request.user).exists(),
    }
    template = "datahub/results.html" if request.headers.get("HX-Request") else \
        "datahub/catalogue.html"
    return render(request, template, context)


def _dataset(request, slug):
    return queries.dataset_get(request.user, slug)


def dataset_page(request, slug):
    dataset = _dataset(request, slug)
    resources = queries.active_resources(dataset)
    readable = queries.can_read_data(request.user, dataset)
    if readable:
        actions.read_record(actor=request.user, dataset=dataset, what="page")
    blocks = []
    for resource in resources:
        version = resource.current_version
        block = {"resource": resource, "version": version, "preview": None, "chart": None,
                 "versions": list(queries.versions(resource)[:20])}
        if readable and version and resource.kind == Resource.Kind.TABLE:
            block["preview"] = engine.rows_search(path=version.path, schema=version.schema,
                                                  limit=10, include_total=False)
            block["chart"] = charts.table_chart(version)
            block["api"] = _api_examples(request, resource)
        blocks.append(block)
    context = {
        "dataset": dataset, "blocks": blocks, "readable": readable,
        "quality": queries.quality(dataset, resources),
        "can_publish": queries.can_publish(request.user, dataset),
        "tags": list(dataset.tags.all()), "jsonld": json.dumps(
            dcat.schema_org(request, dataset, resources), ensure_ascii=False
        ).replace("</", "<\\/"),
        "version_form": VersionUploadForm(),
    }
    return render(request, "datahub/dataset.html", context)


def _api_examples(request, resource: Resource) -> dict:
    base = request.build_absolute_uri("/api/3/action/")
    rid = str(resource.pk)
    return {
        "search": f'{base}datastore_search?resource_id={rid}&limit=5&q=hong+bang',
        "sql": f'{base}datastore_search_sql?sql=SELECT count(*) FROM "{rid}"',
        "ckanapi": f'ckanapi action datastore_search resource_id={rid} limit=5 '
                   f'-r {request.build_absolute_uri("/").rstrip("/")}',
    }


def _upload_refused(request, form_url: str):
    messages.error(request, _("The file is larger than the %(mb)s MB allowed.")
                   % {"mb": ingest.upload_limit() // (1024 * 1024)})
    return redirect(form_url)


def _start_job(request, resource: Resource, upload) -> IngestJob:
    path, size = ingest.save_upload(upload.chunks(), upload.name)
    return actions.ingest_job_create(resource=resource, upload=path, filename=upload.name,
                                     size=size, actor=request.user)


@csrf_exempt
@login_required
def upload_page(request):
    """A publisher creates a dataset with its first file."""
    if request.method == "POST" and not uploads.install(request):
        return _upload_refused(request, reverse("datahub:upload"))
    return _upload_page(request)


@csrf_protect
def _upload_page(request):
    agencies = queries.publisher_agencies(request.user).order_by("name")
    if not agencies.exists():
        raise PermissionDenied(_("Only officers of a publishing agency can upload data."))
    form = DatasetUploadForm(request.POST or None, request.FILES or None, agencies=agencies)
    if request.method == "POST" and uploads.too_large(request):
        return _upload_refused(request, reverse("datahub:upload"))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            dataset = actions.dataset_create(
                slug=data["title"], title=data["title"], publisher=data["publisher"],
                actor=request.user, description=data["description"], tags=form.tag_list(),
                access=data["access"], frequency=data["frequency"], licence=data["licence"],
            )
        except ValidationError:
            form.add_error("title", _("A dataset with this title already exists."))
        else:
            kind = Resource.Kind.TABLE if ingest.table_format(upload.name) else \
                Resource.Kind.FILE
            resource = actions.resource_create(dataset=dataset, name=data["title"],
                                               actor=request.user, kind=kind)
            try:
                job = _start_job(request, resource, upload)
            except ingest.IngestError as exc:
                messages.error(request, exc.message)
                return redirect("datahub:dataset", slug=dataset.slug)
            return redirect("datahub:job", job_id=job.pk)
    return render(request, "datahub/upload.html", {"form": form,
                                                   "limit_mb": ingest.upload_limit() // 2**20})


@csrf_exempt
@login_required
def version_upload(request, slug, resource_id):
    """A new version of a resource (a corrected or updated file)."""
    if request.method != "POST":
        return redirect("datahub:dataset", slug=slug)
    back = reverse("datahub:dataset", kwargs={"slug": slug})
    if not uploads.install(request):
        return _upload_refused(request, back)
    return _version_upload(request, slug, resource_id)


@csrf_protect
def _version_upload(request, slug, resource_id):
    resource = queries.resource_get(request.user, str(resource_id))
    if resource.dataset.slug != slug:
        raise Http404
    if not queries.can_publish(request.user, resource.dataset):
        raise PermissionDenied(_("You may not publish for this agency."))
    if uploads.too_large(request):
        return _upload_refused(request, reverse("datahub:dataset", kwargs={"slug": slug}))
    form = VersionUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose a file to upload."))
        return redirect("datahub:dataset", slug=slug)
    try:
        job = _start_job(request, resource, form.cleaned_data["file"])
    except ingest.IngestError as exc:
        messages.error(request, exc.message)
        return redirect("datahub:dataset", slug=slug)
    return redirect("datahub:job", job_id=job.pk)


@login_required
def job_page(request, job_id):
    job = queries.job_get(request.user, job_id)
    template = "datahub/job_status.html" if request.headers.get("HX-Request") else \
        "datahub/job.html"
    return render(request, template, {"job": job, "form": VersionUploadForm(),
                                      "dataset": job.resource.dataset})


def download(request, slug, resource_id, fmt=""):
    resource = queries.resource_get(request.user, str(resource_id))
    dataset = resource.dataset
    if dataset.slug != slug:
        raise Http404
    if not queries.can_read_data(request.user, dataset):
        raise PermissionDenied(_("This data is not open; sign in as an authorised officer."))
    number = request.GET.get("phien-ban")
    version = queries.version_of(resource, int(number) if number and number.isdigit() else None)
    if version is None:
        raise Http404(_("No such version"))
    actions.read_record(actor=request.user, dataset=dataset,
                        what=f"download v{version.number} {fmt or 'original'}")
    stem = f"{dataset.slug}-v{version.number}"
    if resource.kind == Resource.Kind.FILE or not version.schema:
        return FileResponse(open(storage.absolute(version.path), "rb"),
                            as_attachment=True,
                            filename=version.filename or f"{stem}",
                            content_type=version.media_type or "application/octet-stream")
    fmt = fmt or "csv"
    if fmt not in DOWNLOAD_TYPES:
        raise Http404
    path = engine.export_path(path=version.path, content_hash=version.content_hash,
                              schema=version.schema, fmt=fmt)
    # FileResponse closes the file when the response is done.
    handle = open(path, "rb")  # noqa: SIM115
    response = FileResponse(handle, as_attachment=True, filename=f"{stem}.{fmt}",
                            content_type=DOWNLOAD_TYPES[fmt])
    response["Cache-Control"] = "public, max-age=31536000, immutable" if \
        dataset.access == Access.OPEN and number else "private, no-cache"
    return response


def dashboard(request):
    data = queries.dashboard()
    return render(request, "datahub/dashboard.html", {"data": data,
                                                      "criteria": queries.QUALITY_CRITERIA})


def catalogue_rdf(request, fmt):
    try:
        page = max(1, int(request.GET.get("page", 1)))
    except ValueError:
        page = 1
    body, content_type = dcat.catalogue(request, page=page, fmt=fmt)
    return HttpResponse(body, content_type=content_type)


def dataset_rdf(request, slug, fmt):
    dataset = _dataset(request, slug)
    body, content_type = dcat.dataset_document(request, dataset, fmt=fmt)
    return HttpResponse(body, content_type=content_type)
