"""The datahub app's part of /api/v1/ (mounted at /api/v1/datahub/ by civicport/api.py).

Read endpoints are public for open data; shared and restricted data follow the same rules
as the pages (session or bearer token). The CKAN-compatible API lives at /api/3/action/.
"""

import json
from datetime import datetime

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema

from civicport.core.api import ApiError
from civicport.core.api_auth import REQUIRED, auth_methods
from civicport.datahub import actions, engine, queries
from civicport.datahub.models import Resource

router = Router(tags=["datahub"])
OPTIONAL = auth_methods(optional=True)


class SummaryOut(Schema):
    datasets_total: int
    datasets_open: int
    departments_total: int
    departments_publishing: int
    as_of: datetime


class ResourceOut(Schema):
    id: str
    name: str
    kind: str
    format: str
    version: int | None
    rows: int | None


class DatasetOut(Schema):
    id: str
    slug: str
    title: str
    description: str
    publisher: str
    access: str
    tags: list[str]
    modified_at: datetime
    resources: list[ResourceOut]


class SearchOut(Schema):
    count: int
    results: list[DatasetOut]
    facets: dict[str, dict[str, int]]


class RowsOut(Schema):
    fields: list[dict]
    records: list
    total: int | None = None
    limit: int
    offset: int


class SqlIn(Schema):
    sql: str


class SqlOut(Schema):
    fields: list[dict]
    records: list[dict]
    records_truncated: bool = False


class JobOut(Schema):
    id: int
    status: str
    progress: int
    stage: str
    message: str
    error_count: int
    errors: list[dict]
    version: int | None


def _dataset_out(dataset, resources=None) -> dict:
    resources = queries.active_resources(dataset) if resources is None else resources
    return {
        "id": str(dataset.uuid), "slug": dataset.slug, "title": dataset.title,
        "description": dataset.description, "publisher": dataset.publisher.name,
        "access": dataset.access, "tags": [t.name for t in dataset.tags.all()],
        "modified_at": dataset.modified_at,
        "resources": [{
            "id": str(r.pk), "name": r.name, "kind": r.kind,
            "format": r.current_version.format if r.current_version else "",
            "version": r.current_version.number if r.current_version else None,
            "rows": r.current_version.row_count if r.current_version else None,
        } for r in resources],
    }


@router.get("/summary", response=SummaryOut, auth=None)
def summary(request):
    """Datasets open and departments publishing (the publishing dashboard's figures)."""
    return queries.publishing_summary()


@router.get("/datasets", response=SearchOut, auth=OPTIONAL)
def dataset_list(request, q: str = "", organization: str = "", tags: str = "",
                 res_format: str = "", access_level: str = "", page: int = 1):
    """Search the catalogue (diacritics ignored) with facet counts; 20 per page."""
    filters = [(k, v) for k, v in (("organization", organization), ("tags", tags),
                                   ("res_format", res_format),
                                   ("access_level", access_level)) if v]
    result = queries.dataset_search(request.user, q=q, filters=filters, rows=20,
                                    start=(max(page, 1) - 1) * 20)
    return {"count": result.count, "facets": result.facets,
            "results": [_dataset_out(d, list(d.resources.all())) for d in result.datasets]}


@router.get("/datasets/{slug}", response=DatasetOut, auth=OPTIONAL)
def dataset_detail(request, slug: str):
    try:
        return _dataset_out(queries.dataset_get(request.user, slug))
    except Http404:
        raise ApiError(404, "not_found", _("Dataset not found")) from None


def _table(request, resource_id: str, what: str):
    try:
        resource = queries.resource_get(request.user, resource_id)
    except Http404:
        raise ApiError(404, "not_found", _("Resource not found")) from None
    if not queries.can_read_data(request.user, resource.dataset):
        raise ApiError(403, "forbidden",
                       _("This data is not open; sign in as an authorised officer."))
    if resource.current_version is None or resource.kind != Resource.Kind.TABLE:
        raise ApiError(404, "not_found", _("The resource has no table data."))
    actions.read_record(actor=request.user, dataset=resource.dataset, what=what)
    return resource


@router.get("/resources/{resource_id}/rows", response=RowsOut, auth=OPTIONAL)
def rows(request, resource_id: str, q: str = "", filters: str = "", sort: str = "",
         fields: str = "", distinct: bool = False, limit: int = 100, offset: int = 0):
    """Rows of a table: `filters` is a JSON object {column: value or [values]}, `q` ignores
    diacritics, `fields` and `sort` are comma-separated ("dan_so desc")."""
    resource = _table(request, resource_id, "api rows")
    version = resource.current_version
    try:
        parsed = json.loads(filters) if filters else {}
    except ValueError:
        raise ApiError(422, "invalid", _("Not valid JSON: %(value)s") % {"value": filters}) \
            from None
    try:
        return engine.rows_search(
            path=version.path, schema=version.schema, filters=parsed, q=q or None,
            fields=[f.strip() for f in fields.split(",") if f.strip()] or None, sort=sort,
            distinct=distinct, limit=limit, offset=offset)
    except engine.QueryError as exc:
        raise ApiError(422, "invalid", exc.message) from None


@router.post("/resources/{resource_id}/sql", response=SqlOut, auth=OPTIONAL)
def sql(request, resource_id: str, payload: SqlIn):
    """One read-only SELECT over the table, named `t` (or the dataset's other tables by
    their resource id)."""
    resource = _table(request, resource_id, "api sql")
    tables = {"t": resource.current_version.path}
    for other in queries.active_resources(resource.dataset):
        if other.current_version and other.kind == Resource.Kind.TABLE:
            tables[str(other.pk)] = other.current_version.path
    try:
        return engine.sql_run(payload.sql, tables)
    except engine.QueryError as exc:
        status = {"authorization": 403, "timeout": 408}.get(exc.kind, 422)
        raise ApiError(status, exc.kind, exc.message) from None


@router.get("/jobs/{job_id}", response=JobOut, auth=REQUIRED)
def job(request, job_id: int):
    """An upload's ingest progress (for its publisher)."""
    try:
        found = queries.job_get(request.user, job_id)
    except Http404:
        raise ApiError(404, "not_found", _("Upload not found")) from None
    return {"id": found.pk, "status": found.status, "progress": found.progress,
            "stage": found.stage, "message": found.message,
            "error_count": found.error_count, "errors": found.errors,
            "version": found.version.number if found.version else None}
