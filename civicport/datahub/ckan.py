"""CKAN-compatible Action API at /api/3/action/<name> and /api/action/<name>.

CKAN's envelope and error types: {"help", "success", "result"} or {"help", "success": false,
"error": {"__type", "message"}} with CKAN's status codes (Not Found 404, Authorization 403,
Validation 409 with field→[messages], Search Query 400); an unknown action is a bare JSON
string with 400. Reads work with GET and POST; writes need POST and an API token in the
Authorization header (ckanapi also sends X-CKAN-API-Key). CSRF does not apply: the token,
not a cookie, authenticates.
"""

import json

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from civicport.core.auth import api_token_user
from civicport.datahub import actions, engine, ingest, queries, uploads
from civicport.datahub.models import LICENCES, Access, Dataset, Resource, Tag
from civicport.datahub.queries import agency_name

SITE_TITLE = "Cổng dữ liệu mở Hải Phòng"


class ActionError(Exception):
    def __init__(self, kind: str, message="", status: int = 400, fields: dict | None = None):
        super().__init__(message)
        self.kind, self.message, self.status, self.fields = kind, message, status, fields


def _not_found(message=""):
    return ActionError("Not Found Error", message or _("Not found"), 404)


def _not_authorized(message=""):
    return ActionError("Authorization Error", message or _("Access denied"), 403)


def _too_large():
    return ActionError("Validation Error", status=409, fields={"upload": [
        _("The file is larger than the %(mb)s MB allowed.")
        % {"mb": ingest.upload_limit() // (1024 * 1024)}]})


def _validation(fields: dict):
    return ActionError("Validation Error", status=409, fields=fields)


# --- request parsing -------------------------------------------------------------------------


def _token_user(request, side_effect_free: bool):
    """The token's user; without a token, the browser session for reads only (writes
    are CSRF-exempt, so a cookie alone must never authorise them)."""
    header = request.headers.get("Authorization", "") or request.headers.get("X-CKAN-API-Key", "")
    token = header.removeprefix("Bearer ").strip()
    if token:
        user = api_token_user(token)
        if user is None:
            raise _not_authorized(_("The API token is not valid."))
        return user
    if side_effect_free and getattr(request, "user", None) is not None:
        return request.user
    return AnonymousUser()


def _params(request) -> dict:
    if request.method == "GET":
        data = {}
        for key in request.GET:
            values = request.GET.getlist(key)
            data[key] = values if len(values) > 1 else values[0]
        data.pop("callback", None)
        return data
    content_type = request.content_type or ""
    if content_type.startswith("multipart/form-data"):
        data = {k: request.POST.get(k) for k in request.POST}
        for key in ("tags", "fields", "filters"):
            if isinstance(data.get(key), str) and data[key][:1] in "[{":
                data[key] = json.loads(data[key])
        return data
    if not request.body:
        return {}
    try:
        data = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise ActionError("Validation Error", status=409,
                          fields={"body": [_("The request body is not valid JSON.")]}) from None
    if not isinstance(data, dict):
        raise _validation({"body": [_("The request body must be a JSON object.")]})
    return data


def _json_param(value, default):
    if value is None or value == "":
        return default
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            raise _validation({"json": [_("Not valid JSON: %(value)s") % {"value": value}]}) \
                from None
    return value


def _int(data: dict, key: str, default: int) -> int:
    value = data.get(key, default)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _validation({key: [_("Invalid integer")]}) from None


def _bool(value, default=False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1", "yes", "on")


# --- dictizing -------------------------------------------------------------------------------


def _site(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def organization_dict(agency, count=None) -> dict:
    result = {
        "id": str(agency.pk), "name": agency_name(agency), "title": agency.name,
        "display_name": agency.name, "type": "organization", "state": "active",
        "is_organization": True, "description": "", "image_url": "",
        "approval_status": "approved",
    }
    if count is not None:
        result["package_count"] = count
    return result


def resource_dict(request, resource: Resource) -> dict:
    version = resource.current_version
    url = request.build_absolute_uri(
        f"/du-lieu/{resource.dataset.slug}/tai-nguyen/{resource.pk}/tai-ve"
    ) if version else ""
    return {
        "id": str(resource.pk), "package_id": str(resource.dataset.uuid), "name": resource.name,
        "description": resource.description, "format": version.format if version else "",
        "url": url, "url_type": "upload", "mimetype": version.media_type if version else "",
        "hash": version.content_hash if version else "", "size": version.size if version else 0,
        "position": resource.position, "state": resource.state,
        "created": resource.created_at.isoformat(),
        "last_modified": version.created_at.isoformat() if version else None,
        "metadata_modified": resource.modified_at.isoformat(),
        "datastore_active": bool(version and resource.kind == Resource.Kind.TABLE),
        "resource_type": resource.kind, "version": version.number if version else None,
        "row_count": version.row_count if version else None,
    }


def package_dict(request, dataset: Dataset, resources=None, tags=None) -> dict:
    resources = resources if resources is not None else queries.active_resources(dataset)
    tags = tags if tags is not None else list(dataset.tags.all())
    licence_title, licence_url = LICENCES.get(dataset.licence, (dataset.licence, ""))
    return {
        "id": str(dataset.uuid), "name": dataset.slug, "title": dataset.title, "type": "dataset",
        "state": dataset.state, "private": dataset.access != Access.OPEN,
        "owner_org": str(dataset.publisher_id),
        "organization": organization_dict(dataset.publisher),
        "author": dataset.publisher.name, "author_email": "",
        "maintainer": dataset.contact_name, "maintainer_email": dataset.contact_email,
        "license_id": dataset.licence, "license_title": licence_title,
        "license_url": licence_url, "isopen": dataset.access == Access.OPEN,
        "notes": dataset.description, "url": request.build_absolute_uri(
            f"/du-lieu/{dataset.slug}/"), "version": None,
        "metadata_created": dataset.created_at.isoformat(),
        "metadata_modified": dataset.modified_at.isoformat(),
        "creator_user_id": str(dataset.created_by_id or ""),
        "num_resources": len(resources), "num_tags": len(tags),
        "tags": [{"name": t.name, "display_name": t.name, "id": str(t.pk), "state": "active"}
                 for t in tags],
        "groups": [],
        "extras": [{"key": "access_level", "value": dataset.access},
                   {"key": "update_frequency", "value": dataset.frequency}],
        "access_level": dataset.access, "update_frequency": dataset.frequency,
        "resources": [resource_dict(request, r) for r in resources],
        "relationships_as_subject": [], "relationships_as_object": [],
    }


# --- read actions ----------------------------------------------------------------------------


def status_show(request, data, user):
    """Site information (side-effect free)."""
    return {
        "site_title": SITE_TITLE, "site_description": "Kho dữ liệu dùng chung và dữ liệu mở",
        "site_url": _site(request), "error_emails_to": None, "locale_default": "vi",
        "extensions": ["datastore", "dcat"], "ckan_version": "2.11.0",
    }


def package_list(request, data, user):
    """Names of the datasets (limit, offset)."""
    datasets = queries.listable(user).order_by("slug").values_list("slug", flat=True)
    offset = _int(data, "offset", 0)
    limit = data.get("limit")
    return list(datasets[offset:offset + int(limit)] if limit else datasets[offset:])


def package_search(request, data, user):
    """Search datasets: q, fq, rows, start, sort, facet.field (diacritics ignored)."""
    try:
        filters = queries.parse_fq(data.get("fq", ""))
        for fq in _json_param(data.get("fq_list"), []) or []:
            filters += queries.parse_fq(fq)
    except ValueError as exc:
        raise ActionError("Search Query Error",
                          _("Unknown field in fq: %(field)s") % {"field": exc}, 400) from None
    facet_fields = tuple(_json_param(data.get("facet.field"), []) or [])
    unknown = [f for f in facet_fields if f not in queries.FACETS]
    if unknown:
        raise ActionError("Search Query Error",
                          _("Unknown facet field: %(field)s") % {"field": unknown[0]}, 400)
    rows = _int(data, "rows", 10)
    result = queries.dataset_search(
        user, q=str(data.get("q", "") or ""), filters=filters, sort=data.get("sort", ""),
        rows=rows, start=_int(data, "start", 0), facet_fields=facet_fields,
    )
    search_facets = {
        field: {"title": field, "items": [
            {"name": k, "display_name": result.labels[field].get(k, k), "count": n}
            for k, n in counts.items()]}
        for field, counts in result.facets.items()
    }
    return {
        "count": result.count, "sort": data.get("sort") or "score desc, metadata_modified desc",
        "results": [package_dict(request, d, list(d.resources.all()), list(d.tags.all()))
                    for d in result.datasets],
        "facets": result.facets, "search_facets": search_facets,
    }


def _dataset(user, data) -> Dataset:
    key = str(data.get("id") or data.get("name") or "")
    if not key:
        raise _validation({"id": [_("Missing value")]})
    try:
        return queries.dataset_get(user, key)
    except Http404:
        raise _not_found(_("Dataset not found")) from None


def package_show(request, data, user):
    """One dataset by name or id."""
    return package_dict(request, _dataset(user, data))


def organization_list(request, data, user):
    """Publishing agencies (sort, limit, offset, all_fields)."""
    from django.db.models import Count, Q

    from civicport.core.models import Agency

    agencies = Agency.objects.filter(is_active=True).annotate(
        n=Count("datasets", filter=Q(datasets__state=Dataset.State.ACTIVE,
                                     datasets__access__in=[Access.OPEN, Access.SHARED])))
    sort = str(data.get("sort", "title asc")).lower()
    order = {"name": "code", "package_count": "n", "title": "name"}.get(sort.split()[0], "name")
    agencies = agencies.filter(n__gt=0) if not _bool(data.get("all")) else agencies
    agencies = agencies.order_by(("-" if sort.endswith("desc") else "") + order, "pk")
    offset = _int(data, "offset", 0)
    all_fields = _bool(data.get("all_fields"))
    limit = _int(data, "limit", 25 if all_fields else 1000)
    page = agencies[offset:offset + limit]
    if all_fields:
        return [organization_dict(a, a.n) for a in page]
    return [agency_name(a) for a in page]


def organization_show(request, data, user):
    """An agency and (include_datasets) up to 10 of its datasets."""
    agency = queries._agency_by_key(str(data.get("id", "")))
    if agency is None:
        raise _not_found(_("Organization not found"))
    datasets = queries.listable(user).filter(publisher=agency)
    result = organization_dict(agency, datasets.count())
    if _bool(data.get("include_datasets")):
        result["packages"] = [package_dict(request, d) for d in datasets.order_by("slug")[:10]]
    return result


def group_list(request, data, user):
    """Groups (themes): the portal groups by tags and agencies, so there are none."""
    return []


def tag_list(request, data, user):
    """Tags in use (query filters by a folded prefix)."""
    from civicport.core.text import fold

    tags = Tag.objects.filter(datasets__in=queries.listable(user)).distinct().order_by("name")
    query = fold(str(data.get("query", "")))
    names = [t.name for t in tags if not query or fold(t.name).startswith(query)]
    if _bool(data.get("all_fields")):
        return [{"name": n, "display_name": n, "vocabulary_id": None} for n in names]
    return names


def _resource(user, data) -> Resource:
    key = data.get("id") or data.get("resource_id")
    if not key:
        raise _validation({"id": [_("Missing value")]})
    try:
        return queries.resource_get(user, str(key))
    except Http404:
        raise _not_found(_("Resource not found")) from None


def resource_show(request, data, user):
    """One resource."""
    return resource_dict(request, _resource(user, data))


def _readable_version(user, resource: Resource, what: str):
    if not queries.can_read_data(user, resource.dataset):
        raise _not_authorized(_("This data is not open; sign in as an authorised officer."))
    version = resource.current_version
    if version is None or resource.kind != Resource.Kind.TABLE:
        raise _not_found(_("The resource has no table data."))
    actions.read_record(actor=user, dataset=resource.dataset, what=what)
    return version


def datastore_search(request, data, user):
    """Rows of a table resource: filters, q, fields, sort, distinct, limit, offset."""
    resource = _resource(user, data)
    version = _readable_version(user, resource, "datastore_search")
    fields = _json_param(data.get("fields"), None)
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",") if f.strip()]
    try:
        result = engine.rows_search(
            path=version.path, schema=version.schema,
            filters=_json_param(data.get("filters"), {}) or {},
            q=_json_param(data.get("q"), None), fields=fields, sort=data.get("sort", ""),
            distinct=_bool(data.get("distinct")), limit=data.get("limit"),
            offset=_int(data, "offset", 0),
            include_total=_bool(data.get("include_total"), True),
            records_format=data.get("records_format", "objects"),
        )
    except engine.QueryError as exc:
        raise _validation({exc.field or "query": [exc.message]}) from None
    return {"resource_id": str(resource.pk), **result}


def datastore_search_sql(request, data, user):
    """A single read-only SELECT over the tables of one dataset (by resource id)."""
    sql = str(data.get("sql", "") or "")
    tables = _sql_tables(user, sql)
    try:
        return engine.sql_run(sql, tables)
    except engine.QueryError as exc:
        if exc.kind == "authorization":
            raise _not_authorized(exc.message) from None
        if exc.kind == "timeout":
            raise ActionError("Search Error", exc.message, 409) from None
        raise _validation({"query": [exc.message]}) from None


def _sql_tables(user, sql: str) -> dict[str, str]:
    """Tables are named by resource id ("<uuid>") or "t_<uuid hex>"; all of one dataset."""
    import re

    ids = set(re.findall(r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?"
                         r"[0-9a-fA-F]{12}", sql))
    if not ids:
        raise _validation({"sql": [_("Name a table by its resource id, e.g. "
                                     "SELECT * FROM \"<resource id>\".")]})
    resources = []
    for key in ids:
        try:
            resources.append(queries.resource_get(user, key))
        except Http404:
            raise _not_found(_("Resource not found")) from None
    if len({r.dataset_id for r in resources}) > 1:
        raise _not_authorized(_("A query may only read the tables of one dataset."))
    tables = {}
    for resource in resources:
        version = _readable_version(user, resource, "datastore_search_sql")
        for name in (str(resource.pk), str(resource.pk).replace("-", "")):
            tables[name] = version.path
    return tables


# --- write actions ---------------------------------------------------------------------------


def _need_user(user):
    if not user.is_authenticated:
        raise _not_authorized(_("An API token is required."))


def _publisher_from(data, user, default=None):
    key = data.get("owner_org")
    if key in (None, ""):
        if default is not None:
            return default
        raise _validation({"owner_org": [_("Missing value")]})
    agency = queries._agency_by_key(str(key))
    if agency is None:
        raise _validation({"owner_org": [_("Organization does not exist")]})
    return agency


def _metadata(data) -> dict:
    values = {}
    mapping = {"title": "title", "notes": "description", "license_id": "licence",
               "maintainer": "contact_name", "maintainer_email": "contact_email"}
    for key, field in mapping.items():
        if key in data:
            values[field] = data[key] or ""
    extras = {e.get("key"): e.get("value") for e in data.get("extras", []) or []
              if isinstance(e, dict)}
    access = data.get("access_level") or extras.get("access_level")
    if access:
        values["access"] = access
    elif "private" in data:
        values["access"] = Access.SHARED if _bool(data["private"]) else Access.OPEN
    frequency = data.get("update_frequency") or extras.get("update_frequency")
    if frequency:
        values["frequency"] = frequency
    return values


def _tags(data):
    if "tags" not in data:
        return None
    tags = data.get("tags") or []
    return [t.get("name", "") if isinstance(t, dict) else str(t) for t in tags]


def _write(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except PermissionDenied as exc:
        raise _not_authorized(str(exc)) from None
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        raise _validation({("name" if k == "slug" else k): v for k, v in fields.items()}) \
            from None
    except actions.ConflictError as exc:
        raise _validation({"lock_version": [str(exc)]}) from None


def package_create(request, data, user):
    """Create a dataset (name, title, owner_org, notes, tags, license_id, access_level)."""
    _need_user(user)
    if not data.get("name"):
        raise _validation({"name": [_("Missing value")]})
    publisher = _publisher_from(data, user)
    values = _metadata(data)
    dataset = _write(actions.dataset_create, slug=str(data["name"]),
                     title=values.pop("title", "") or str(data["name"]), publisher=publisher,
                     actor=user, tags=_tags(data) or (), **values)
    return package_dict(request, dataset)


def _writable(user, data) -> Dataset:
    _need_user(user)
    dataset = _dataset(user, data)
    if not queries.can_publish(user, dataset):
        raise _not_authorized(_("You may not publish for this agency."))
    return dataset


def package_update(request, data, user):
    """Replace a dataset's metadata (fields left out return to their defaults)."""
    dataset = _writable(user, data)
    values = {"description": "", "contact_name": "", "contact_email": "",
              "licence": "notspecified", "access": Access.OPEN, **_metadata(data)}
    values.setdefault("title", dataset.title)
    updated = _write(actions.dataset_update, dataset=dataset, actor=user,
                     tags=_tags(data) or [], publisher=_publisher_from(data, user,
                                                                       dataset.publisher),
                     **values)
    return package_dict(request, updated)


def package_patch(request, data, user):
    """Change only the given fields of a dataset."""
    dataset = _writable(user, data)
    updated = _write(actions.dataset_update, dataset=dataset, actor=user, tags=_tags(data),
                     publisher=_publisher_from(data, user, dataset.publisher), **_metadata(data))
    return package_dict(request, updated)


def resource_create(request, data, user):
    """Add a resource to a dataset; `upload` (multipart) is ingested synchronously."""
    _need_user(user)
    dataset = _dataset(user, {"id": data.get("package_id")})
    if not queries.can_publish(user, dataset):
        raise _not_authorized(_("You may not publish for this agency."))
    upload = request.FILES.get("upload")
    if upload is None:
        raise _validation({"upload": [_("Upload a file (multipart field “upload”).")]})
    filename = upload.name or "data.csv"
    try:
        path, size = ingest.save_upload(upload.chunks(), filename)
    except ingest.IngestError as exc:
        raise _validation({"upload": [exc.message]}) from None
    kind = Resource.Kind.TABLE if ingest.table_format(filename) else Resource.Kind.FILE
    resource = actions.resource_create(dataset=dataset, name=data.get("name") or filename,
                                       actor=user, kind=kind,
                                       description=data.get("description", ""))
    job = actions.ingest_job_create(resource=resource, upload=path, filename=filename,
                                    size=size, actor=user, run_now=True)
    if job.status != job.Status.DONE:
        actions.resource_delete(resource=resource, actor=user)
        row_word = _("row")
        errors = [f"{row_word} {e['row']}, {e['column']}: {e['message']}" for e in job.errors]
        raise _validation({"upload": [job.message, *errors[:20]]})
    resource.refresh_from_db()
    return resource_dict(request, resource)


def resource_delete(request, data, user):
    """Hide a resource (its versions are kept)."""
    _need_user(user)
    resource = _resource(user, data)
    _write(actions.resource_delete, resource=resource, actor=user)
    return None


# name → (function, side-effect free)
ACTIONS = {
    "status_show": (status_show, True),
    "package_list": (package_list, True),
    "package_search": (package_search, True),
    "package_show": (package_show, True),
    "organization_list": (organization_list, True),
    "organization_show": (organization_show, True),
    "group_list": (group_list, True),
    "tag_list": (tag_list, True),
    "resource_show": (resource_show, True),
    "datastore_search": (datastore_search, True),
    "datastore_search_sql": (datastore_search_sql, True),
    "package_create": (package_create, False),
    "package_update": (package_update, False),
    "package_patch": (package_patch, False),
    "resource_create": (resource_create, False),
    "resource_delete": (resource_delete, False),
}


@csrf_exempt
def action(request, name: str):
    help_url = request.build_absolute_uri(f"/api/3/action/help_show?name={name}")
    entry = ACTIONS.get(name)
    if entry is None:
        return HttpResponse(json.dumps(f"Bad request: Action name not known: {name}"),
                            status=400, content_type="application/json")
    function, side_effect_free = entry
    try:
        if request.method not in ("GET", "POST"):
            raise ActionError("Bad Request", _("Use GET or POST."), 405)
        if request.method == "GET" and not side_effect_free:
            raise ActionError("Bad Request",
                              _("This action changes data: send it as a POST."), 400)
        user = _token_user(request, side_effect_free)
        multipart = (request.content_type or "").startswith("multipart/")
        if request.method == "POST" and multipart and not uploads.install(request):
            raise _too_large()
        data = _params(request)
        if uploads.too_large(request):
            raise _too_large()
        result = function(request, data, user)
    except ActionError as exc:
        error = {"__type": exc.kind}
        if exc.fields is not None:
            error.update(exc.fields)
        else:
            error["message"] = exc.message
        return JsonResponse({"help": help_url, "success": False, "error": error},
                            status=exc.status, json_dumps_params={"ensure_ascii": False})
    except Exception:
        if settings.DEBUG:
            raise
        import logging

        logging.getLogger("civicport.datahub").exception("CKAN action %s failed", name)
        return JsonResponse({"help": help_url, "success": False, "error": {
            "__type": "Internal Server Error", "message": _("Internal server error")}},
            status=500)
    return JsonResponse({"help": help_url, "success": True, "result": result},
                        json_dumps_params={"ensure_ascii": False})
