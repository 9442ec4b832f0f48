"""Reads of the datahub app, for its views and APIs and for other apps (the IOC).

Who sees what:

* metadata: open and shared datasets are listed for everyone (the catalogue is public, as
  the open-data list must be); restricted datasets only for officers of the publisher or of
  a named agency, and for city administrators / IOC viewers;
* data (preview, rows, SQL, downloads): open → everyone; shared → any logged-in officer;
  restricted → officers of the publisher or of a named agency. Every read of non-open data
  is audited by the caller (`actions.read_record`).
"""

import re
import uuid
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from civicport.core.access import agency_ids_for, sees_everything
from civicport.core.models import Agency, UserKind
from civicport.core.search import search_filter
from civicport.datahub.models import (
    FREQUENCY_DAYS,
    LICENCES,
    Access,
    Dataset,
    IngestJob,
    Resource,
    Version,
)
from civicport.datahub.search import SCOPE

OPEN_FORMATS = {"CSV", "JSON", "XLSX", "PARQUET", "GEOJSON", "XML", "TXT"}
ROWS_MAX = 1000


def publishing_summary() -> dict:
    """For the IOC: datasets listed/open, departments in total and publishing open data."""
    active = Dataset.objects.filter(state=Dataset.State.ACTIVE)
    published = active.filter(resources__current_version__isnull=False).distinct()
    departments = Agency.objects.filter(kind=Agency.Kind.DEPARTMENT, is_active=True)
    publishing = departments.filter(
        Exists(published.filter(access=Access.OPEN, publisher=OuterRef("pk")))
    )
    return {
        "datasets_total": active.count(),
        "datasets_open": published.filter(access=Access.OPEN).count(),
        "departments_total": departments.count(),
        "departments_publishing": publishing.count(),
        "as_of": timezone.now(),
    }


def _is_officer(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active
                and (user.kind == UserKind.OFFICER or sees_everything(user)))


def listable(user) -> QuerySet:
    """Active datasets whose metadata `user` may see."""
    datasets = Dataset.objects.filter(state=Dataset.State.ACTIVE)
    if sees_everything(user):
        return datasets
    ids = agency_ids_for(user)
    visible = Q(access__in=[Access.OPEN, Access.SHARED])
    if ids:
        visible |= Q(publisher_id__in=ids) | Q(allowed_agencies__in=ids)
    return datasets.filter(visible).distinct() if ids else datasets.filter(visible)


def can_read_data(user, dataset: Dataset) -> bool:
    if dataset.access == Access.OPEN:
        return True
    if not _is_officer(user):
        return False
    if dataset.access == Access.SHARED or sees_everything(user):
        return True
    ids = agency_ids_for(user)
    return dataset.publisher_id in ids or dataset.allowed_agencies.filter(pk__in=ids).exists()


def can_publish(user, dataset: Dataset) -> bool:
    from civicport.core.access import can_act

    return can_act(user, dataset.publisher_id)


def publisher_agencies(user) -> QuerySet:
    """Agencies `user` may publish for."""
    if not (user and user.is_authenticated):
        return Agency.objects.none()
    if user.is_superuser or getattr(user, "is_city_admin", False):
        return Agency.objects.filter(is_active=True)
    return Agency.objects.filter(pk__in=agency_ids_for(user), is_active=True)


def dataset_get(user, key: str) -> Dataset:
    """A dataset by slug or CKAN id that `user` may see, else 404."""
    datasets = listable(user).select_related("publisher")
    dataset = None
    if re.fullmatch(r"[0-9a-fA-F-]{32,36}", key or ""):
        dataset = datasets.filter(uuid=key).first()
    if dataset is None:
        dataset = datasets.filter(slug=key).first()
    if dataset is None:
        raise Http404(_("Dataset not found"))
    return dataset


def resource_get(user, resource_id: str) -> Resource:
    try:
        key = uuid.UUID(str(resource_id))
    except ValueError:
        raise Http404(_("Resource not found")) from None
    resource = Resource.objects.select_related("dataset__publisher", "current_version").filter(
        pk=key, state=Dataset.State.ACTIVE).first()
    if resource is None or not listable(user).filter(pk=resource.dataset_id).exists():
        raise Http404(_("Resource not found"))
    return resource


def active_resources(dataset: Dataset) -> list[Resource]:
    return list(dataset.resources.filter(state=Dataset.State.ACTIVE)
                .select_related("current_version"))


def versions(resource: Resource) -> QuerySet:
    return resource.versions.select_related("created_by").order_by("-number")


def version_of(resource: Resource, number: int | None) -> Version | None:
    if number is None:
        return resource.current_version
    return resource.versions.filter(number=number).first()


# --- search with facets ----------------------------------------------------------------------

FACETS = ("organization", "tags", "res_format", "access_level")
_FQ = re.compile(r'([+-]?)(\w+):("([^"]*)"|\S+)')


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, dict[str, int]]
    labels: dict[str, dict[str, str]]


def agency_name(agency: Agency) -> str:
    from civicport.core.text import slugify

    return slugify(agency.code) or str(agency.pk)


def _apply_filter(datasets: QuerySet, field: str, value: str) -> QuerySet:
    if field in ("organization", "owner_org"):
        agency = _agency_by_key(value)
        return datasets.filter(publisher=agency) if agency else datasets.none()
    if field in ("tags", "tag"):
        return datasets.filter(tags__name=value)
    if field in ("res_format", "format"):
        return datasets.filter(resources__state=Dataset.State.ACTIVE,
                               resources__current_version__format__iexact=value)
    if field in ("access_level", "access"):
        return datasets.filter(access=value)
    if field == "name":
        return datasets.filter(slug=value)
    raise ValueError(field)


def _agency_by_key(value: str) -> Agency | None:
    from civicport.core.text import slugify

    agencies = Agency.objects.all()
    if value.isdigit():
        found = agencies.filter(pk=int(value)).first()
        if found:
            return found
    found = agencies.filter(code=value).first()
    if found:
        return found
    for agency in agencies.filter(code__iexact=value.replace("-", ".")):
        return agency
    for agency in agencies.only("id", "code"):
        if slugify(agency.code) == value:
            return agency
    return None


def parse_fq(fq: str) -> list[tuple[str, str]]:
    """`organization:so-tttt tags:"giáo dục"` → [(field, value)]; unknown fields refused."""
    pairs = []
    for match in _FQ.finditer(fq or ""):
        field, value = match.group(2), match.group(4) if match.group(4) is not None \
            else match.group(3)
        if field not in ("organization", "owner_org", "tags", "tag", "res_format", "format",
                         "access_level", "access", "name"):
            raise ValueError(field)
        pairs.append((field, value))
    return pairs


SORTS = {
    "metadata_modified desc": ["-modified_at", "id"],
    "metadata_modified asc": ["modified_at", "id"],
    "metadata_created desc": ["-created_at", "id"],
    "metadata_created asc": ["created_at", "id"],
    "title_string asc": ["title_folded", "id"],
    "title_string desc": ["-title_folded", "id"],
    "name asc": ["slug"],
    "name desc": ["-slug"],
}


def _visibility_key(user) -> str:
    if sees_everything(user):
        return "all"
    ids = agency_ids_for(user)
    return "agencies:" + ",".join(map(str, sorted(ids))) if ids else "public"


SEARCH_CACHE_SECONDS = 60


def dataset_search(user, *, q: str = "", filters: list[tuple[str, str]] = (),
                   sort: str = "", rows: int = 10, start: int = 0,
                   facet_fields: tuple[str, ...] = FACETS) -> SearchResult:
    """Search the catalogue (diacritics ignored), with facet counts over the matches.

    The ordered matches and the facet counts are cached per (what the user may see, query,
    filters, sort) and keyed on the catalogue's last change (every write to a dataset or a
    version moves `Dataset.modified_at`), so a cached answer is never stale; one indexed
    MAX() per search checks it.
    """
    import hashlib

    from django.core.cache import cache
    from django.db.models import Max

    query = (q or "").strip()
    if query in ("*:*", "*"):
        query = ""
    stamp = Dataset.objects.aggregate(m=Max("modified_at"))["m"]
    key = "datahub.search:" + hashlib.sha256(repr((
        _visibility_key(user), query, list(filters), sort, tuple(facet_fields), stamp,
    )).encode()).hexdigest()
    cached = cache.get(key)
    if cached is None:
        cached = _search_uncached(user, query, filters, sort, facet_fields)
        cache.set(key, cached, SEARCH_CACHE_SECONDS)
    ids, facets, labels = cached
    rows = max(0, min(int(rows), ROWS_MAX))
    start = max(0, int(start))
    page_ids = ids[start:start + rows]
    found = {
        d.pk: d for d in Dataset.objects.filter(pk__in=page_ids).select_related("publisher")
        .prefetch_related("tags", Prefetch(
            "resources", queryset=Resource.objects.filter(state=Dataset.State.ACTIVE)
            .select_related("current_version").order_by("position")))
    } if page_ids else {}
    page = [found[pk] for pk in page_ids if pk in found]
    return SearchResult(count=len(ids), datasets=page, facets=facets, labels=labels)


def _search_uncached(user, query, filters, sort, facet_fields):
    datasets = listable(user)
    if query:
        datasets = search_filter(datasets, SCOPE, query)
    for field, value in filters:
        datasets = _apply_filter(datasets, field, value)
    matched = Dataset.objects.filter(id__in=datasets.values("id"))
    order = SORTS.get(" ".join((sort or "").lower().split()))
    if order is None:
        ordered = _exact_first(matched, query) if query else matched.order_by("title_folded",
                                                                              "id")
    else:
        ordered = matched.order_by(*order)
    ids = list(ordered.values_list("id", flat=True))
    facets, labels = _facets(matched, facet_fields)
    return ids, facets, labels


def _exact_first(matched: QuerySet, query: str):
    """Titles containing the query with its diacritics first, then the newest."""
    from django.db.models import Case, IntegerField, Value, When

    return matched.annotate(
        exact=Case(When(title__icontains=query.strip(), then=Value(0)), default=Value(1),
                   output_field=IntegerField())
    ).order_by("exact", "-modified_at", "id")


def _facets(matched: QuerySet, facet_fields) -> tuple[dict, dict]:
    facets: dict[str, dict[str, int]] = {}
    labels: dict[str, dict[str, str]] = {}
    if "organization" in facet_fields:
        rows = matched.values("publisher_id", "publisher__code", "publisher__name").annotate(
            n=Count("id")).order_by("-n", "publisher__name")
        from civicport.core.text import slugify

        facets["organization"] = {slugify(r["publisher__code"]): r["n"] for r in rows}
        labels["organization"] = {slugify(r["publisher__code"]): r["publisher__name"]
                                  for r in rows}
    if "tags" in facet_fields:
        rows = matched.values("tags__name").exclude(tags__name=None).annotate(
            n=Count("id", distinct=True)).order_by("-n", "tags__name")[:50]
        facets["tags"] = {r["tags__name"]: r["n"] for r in rows}
        labels["tags"] = {k: k for k in facets["tags"]}
    if "res_format" in facet_fields:
        rows = matched.filter(resources__state=Dataset.State.ACTIVE).values(
            "resources__current_version__format").exclude(
            resources__current_version__format=None).annotate(
            n=Count("id", distinct=True)).order_by("-n")
        facets["res_format"] = {r["resources__current_version__format"]: r["n"] for r in rows}
        labels["res_format"] = {k: k for k in facets["res_format"]}
    if "access_level" in facet_fields:
        rows = matched.values("access").annotate(n=Count("id")).order_by("-n")
        facets["access_level"] = {r["access"]: r["n"] for r in rows}
        labels["access_level"] = {r["access"]: str(Access(r["access"]).label) for r in rows}
    return facets, labels


# --- quality score ---------------------------------------------------------------------------

QUALITY_CRITERIA = [
    ("licence", gettext_noop("An open licence is stated")),
    ("description", gettext_noop("The description has more than 100 characters")),
    ("frequency", gettext_noop("The update frequency is stated")),
    ("on_time", gettext_noop("Updated on time for its frequency")),
    ("temporal", gettext_noop("The period covered is stated")),
    ("spatial", gettext_noop("The area covered (wards) is stated")),
    ("open_format", gettext_noop("All resources are in an open, machine-readable format")),
    ("schema", gettext_noop("Every table has a schema with labelled columns")),
    ("contact", gettext_noop("A contact is given")),
]


def quality(dataset: Dataset, resources: list[Resource] | None = None) -> dict:
    """Nine yes/no criteria (after uData's, adapted to Decree 47/194): score = share met."""
    resources = active_resources(dataset) if resources is None else resources
    current = [r.current_version for r in resources if r.current_version is not None]
    limit = FREQUENCY_DAYS.get(dataset.frequency)
    on_time = bool(dataset.data_updated_at) and (
        limit is None or (timezone.now() - dataset.data_updated_at).days <= limit
    )
    met = {
        "licence": dataset.licence in LICENCES and dataset.licence != "notspecified",
        "description": len(dataset.description or "") > 100,
        "frequency": dataset.frequency != "irregular",
        "on_time": on_time,
        "temporal": bool(dataset.temporal_start or dataset.temporal_end),
        "spatial": dataset.wards.exists(),
        "open_format": bool(current) and all(v.format.upper() in OPEN_FORMATS for v in current),
        "schema": bool(current) and all(
            r.kind != Resource.Kind.TABLE or (r.current_version and r.current_version.schema)
            for r in resources if r.current_version),
        "contact": bool(dataset.contact_name or dataset.contact_email),
    }
    criteria = [{"key": key, "label": _(label), "met": met[key]}
                for key, label in QUALITY_CRITERIA]
    return {"score": round(sum(met.values()) / len(met), 2), "criteria": criteria}


def jobs_for(user, resource: Resource) -> QuerySet:
    return IngestJob.objects.filter(resource=resource).order_by("-created_at")


def job_get(user, job_id: int) -> IngestJob:
    job = IngestJob.objects.select_related("resource__dataset__publisher", "version").filter(
        pk=job_id).first()
    if job is None or not can_publish(user, job.resource.dataset):
        raise Http404(_("Upload not found"))
    return job


def dashboard() -> dict:
    """The publishing dashboard: the summary plus per-department counts."""
    summary = publishing_summary()
    departments = (
        Agency.objects.filter(kind=Agency.Kind.DEPARTMENT, is_active=True)
        .annotate(
            total=Count("datasets", filter=Q(datasets__state=Dataset.State.ACTIVE),
                        distinct=True),
            open=Count("datasets", filter=Q(datasets__state=Dataset.State.ACTIVE,
                                            datasets__access=Access.OPEN,
                                            datasets__resources__current_version__isnull=False),
                       distinct=True),
        ).order_by("-open", "-total", "name")
    )
    return {**summary, "departments": list(departments)}
