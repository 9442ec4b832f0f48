"""Writes of the datahub app: plain functions, keyword-only arguments.

Publishing a version is two steps. `ingest.prepare_table` builds and validates the Parquet
file in the work area (minutes, no database). `version_publish` moves it to its
content-hashed name (atomic rename, fsynced) and then, in ONE transaction, adds the Version
row and flips `Resource.current_version`. A crash before the transaction commits leaves the
previous version served; at worst an unreferenced immutable file stays on disk.

Other modules publish their tables with `table_publish` / `file_publish` (idempotent).
"""

import hashlib
import mimetypes
import os
import shutil
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from civicport.core.access import can_act
from civicport.core.audit import audit_record
from civicport.core.models import Agency, Ward
from civicport.core.text import fold, slugify
from civicport.datahub import engine, ingest, storage
from civicport.datahub.models import (
    LICENCES,
    Access,
    Dataset,
    DatasetEvent,
    Frequency,
    IngestJob,
    Resource,
    Tag,
    Version,
)
from civicport.datahub.search import dataset_index

RESERVED_SLUGS = {"new", "edit", "search", "dang-tai", "bang-dieu-khien", "tai-khoan", "api"}
METADATA_FIELDS = ("title", "description", "licence", "access", "frequency", "temporal_start",
                   "temporal_end", "contact_name", "contact_email")


class ConflictError(Exception):
    """Someone else changed the dataset since it was read (optimistic locking)."""


def may_publish(user, publisher: Agency) -> bool:
    return can_act(user, publisher)


def _event(dataset: Dataset, actor, action: str, from_state="", to_state="", reason=""):
    DatasetEvent.objects.create(dataset=dataset, actor=_user(actor), action=action,
                                from_state=str(from_state)[:100], to_state=str(to_state)[:100],
                                reason=reason)
    audit_record(actor=actor, action=f"datahub.{action}", obj=dataset,
                 data={"from": str(from_state), "to": str(to_state), "reason": reason})


def _user(actor):
    return actor if actor is not None and getattr(actor, "is_authenticated", False) else None


def _clean_slug(slug: str) -> str:
    cleaned = slugify(slug, max_length=100)
    if len(cleaned) < 2 or cleaned in RESERVED_SLUGS:
        raise ValidationError({"name": [_("The name must be 2–100 letters, digits or dashes, "
                                          "and not a reserved word.")]})
    return cleaned


def _validate(values: dict) -> None:
    errors = {}
    if not (values.get("title") or "").strip():
        errors["title"] = [_("Missing value")]
    if values.get("access", Access.OPEN) not in Access.values:
        errors["access"] = [_("Unknown access level.")]
    if values.get("frequency", Frequency.IRREGULAR) not in Frequency.values:
        errors["frequency"] = [_("Unknown update frequency.")]
    if values.get("licence") and values["licence"] not in LICENCES:
        errors["license_id"] = [_("Unknown licence.")]
    start, end = values.get("temporal_start"), values.get("temporal_end")
    if isinstance(start, date) and isinstance(end, date) and start > end:
        errors["temporal_end"] = [_("The period ends before it starts.")]
    if errors:
        raise ValidationError(errors)


def _set_relations(dataset: Dataset, *, tags=None, allowed_agencies=None, wards=None):
    if tags is not None:
        names = list(dict.fromkeys(t.strip()[:100] for t in tags if t and t.strip()))
        dataset.tags.set([Tag.objects.get_or_create(name=n)[0] for n in names])
    if allowed_agencies is not None:
        dataset.allowed_agencies.set(allowed_agencies)
    if wards is not None:
        dataset.wards.set(wards)


def dataset_create(*, slug: str, title: str, publisher: Agency, actor=None,
                   description: str = "", tags: Sequence[str] = (), access: str = Access.OPEN,
                   allowed_agencies: Sequence[Agency] = (), wards: Sequence[Ward] = (),
                   check_permission: bool = True, **metadata) -> Dataset:
    """A new dataset of `publisher` (no data yet)."""
    if check_permission and not may_publish(actor, publisher):
        raise PermissionDenied(_("You may not publish for this agency."))
    slug = _clean_slug(slug or title)
    values = {"title": title.strip(), "description": description, "access": access,
              **{k: v for k, v in metadata.items() if k in METADATA_FIELDS}}
    _validate(values)
    with transaction.atomic():
        if Dataset.objects.filter(slug=slug).exists():
            raise ValidationError({"name": [_("That URL is already in use")]})
        dataset = Dataset.objects.create(slug=slug, publisher=publisher,
                                         created_by=_user(actor),
                                         title_folded=fold(values["title"])[:300], **values)
        _set_relations(dataset, tags=tags, allowed_agencies=allowed_agencies, wards=wards)
        dataset_index(dataset)
        _event(dataset, actor, "dataset_create", to_state=dataset.access)
    return dataset


def dataset_update(*, dataset: Dataset, actor=None, lock_version: int | None = None,
                   tags: Sequence[str] | None = None, allowed_agencies=None, wards=None,
                   publisher: Agency | None = None, check_permission: bool = True,
                   **changes) -> Dataset:
    """Change metadata; `lock_version` (when given) must match or ConflictError."""
    if check_permission and not may_publish(actor, dataset.publisher):
        raise PermissionDenied(_("You may not publish for this agency."))
    if publisher is not None and check_permission and not may_publish(actor, publisher):
        raise PermissionDenied(_("You may not publish for this agency."))
    values = {k: v for k, v in changes.items() if k in METADATA_FIELDS}
    _validate({**{f: getattr(dataset, f) for f in METADATA_FIELDS}, **values})
    with transaction.atomic():
        current = Dataset.objects.select_for_update().get(pk=dataset.pk)
        if lock_version is not None and current.lock_version != lock_version:
            raise ConflictError(_("The dataset was changed by someone else; reload it."))
        before = current.access
        for key, value in values.items():
            setattr(current, key, value)
        if publisher is not None:
            current.publisher = publisher
        current.title_folded = fold(current.title)[:300]
        current.modified_at = timezone.now()
        current.lock_version = F("lock_version") + 1
        current.save()
        current.refresh_from_db()
        _set_relations(current, tags=tags, allowed_agencies=allowed_agencies, wards=wards)
        dataset_index(current)
        _event(current, actor, "dataset_update", from_state=before, to_state=current.access,
               reason=", ".join(sorted(values)))
    return current


def dataset_delete(*, dataset: Dataset, actor=None) -> None:
    if not may_publish(actor, dataset.publisher):
        raise PermissionDenied(_("You may not publish for this agency."))
    with transaction.atomic():
        Dataset.objects.filter(pk=dataset.pk).update(state=Dataset.State.DELETED,
                                                     modified_at=timezone.now())
        _event(dataset, actor, "dataset_delete", from_state="active", to_state="deleted")


def resource_create(*, dataset: Dataset, name: str, actor=None, kind: str = Resource.Kind.TABLE,
                    description: str = "") -> Resource:
    position = (dataset.resources.aggregate(m=Max("position"))["m"] or 0) + 1
    resource = Resource.objects.create(dataset=dataset, name=name.strip()[:300] or "data",
                                       kind=kind, description=description, position=position)
    _event(dataset, actor, "resource_create", to_state=str(resource.pk))
    return resource


def resource_delete(*, resource: Resource, actor=None) -> None:
    """Hide a resource; its versions stay on disk (history is append-only)."""
    if not may_publish(actor, resource.dataset.publisher):
        raise PermissionDenied(_("You may not publish for this agency."))
    with transaction.atomic():
        Resource.objects.filter(pk=resource.pk).update(state=Dataset.State.DELETED,
                                                       modified_at=timezone.now())
        Dataset.objects.filter(pk=resource.dataset_id).update(modified_at=timezone.now())
        _event(resource.dataset, actor, "resource_delete", from_state=str(resource.pk),
               to_state="deleted")


# --- publishing versions ---------------------------------------------------------------------


def _before_publish(resource: Resource) -> None:
    """Hook between the file rename and the pointer flip (tests inject crashes here)."""


def version_publish(*, resource: Resource, prepared: ingest.Prepared, actor=None,
                    filename: str = "", build_search: bool = True) -> Version:
    """Make a prepared table the resource's current version, atomically (idempotent)."""
    existing = _same_as_current(resource, prepared.content_hash)
    if existing is not None:
        prepared.parquet.unlink(missing_ok=True)
        return existing
    final = storage.area("versions") / f"{prepared.content_hash}.parquet"
    if final.exists():
        prepared.parquet.unlink(missing_ok=True)
    else:
        with open(prepared.parquet, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(prepared.parquet, final)
    relative = storage.relative(final)
    previous = resource.current_version
    diff = {}
    if previous is not None and previous.schema.get("fields"):
        diff = engine.versions_diff(old_path=previous.path, old_schema=previous.schema,
                                    new_path=relative, new_schema=prepared.schema)
    _before_publish(resource)
    version = _flip(resource=resource, actor=actor, content_hash=prepared.content_hash,
                    path=relative, format=prepared.format, filename=filename,
                    media_type=mimetypes.guess_type(filename)[0] or "",
                    size=final.stat().st_size, row_count=prepared.row_count,
                    schema=prepared.schema, encoding=prepared.encoding, diff=diff)
    if build_search:
        version_search_build(version=version)
    return version


# Below this many rows folding on the fly is a matter of milliseconds: no sidecar needed.
SEARCH_SIDECAR_MIN_ROWS = 50_000


def version_search_build(*, version: Version) -> None:
    """Build the version's search sidecar (idempotent; `q` works without it, slower)."""
    sidecar = engine.search_path(version.path)
    if (sidecar.exists() or not version.schema.get("fields")
            or (version.row_count or 0) < SEARCH_SIDECAR_MIN_ROWS):
        return
    con = ingest._connection()
    try:
        storage.write_atomic(sidecar, lambda tmp: ingest.search_build(
            con, storage.absolute(version.path), version.schema["fields"], tmp))
    finally:
        con.close()


def _same_as_current(resource: Resource, content_hash: str) -> Version | None:
    resource.refresh_from_db(fields=["current_version"])
    current = resource.current_version
    return current if current is not None and current.content_hash == content_hash else None


def _flip(*, resource: Resource, actor, **values) -> Version:
    with transaction.atomic():
        locked = Resource.objects.select_for_update().get(pk=resource.pk)
        number = (locked.versions.aggregate(m=Max("number"))["m"] or 0) + 1
        version = Version.objects.create(resource=locked, number=number,
                                         created_by=_user(actor), **values)
        before = locked.current_version.number if locked.current_version else ""
        now = timezone.now()
        Resource.objects.filter(pk=locked.pk).update(current_version=version, modified_at=now,
                                                     state=Dataset.State.ACTIVE)
        Dataset.objects.filter(pk=locked.dataset_id).update(modified_at=now, data_updated_at=now)
        _event(locked.dataset, actor, "version_publish", from_state=before,
               to_state=version.number, reason=f"{locked.name}: {values.get('filename', '')}")
    resource.current_version = version
    return version


def file_version_publish(*, resource: Resource, source: Path, filename: str,
                         media_type: str = "", actor=None) -> Version:
    """A plain file (GeoJSON, PDF…) as the resource's new immutable version."""
    digest = hashlib.sha256()
    with open(source, "rb") as handle:
        while block := handle.read(1024 * 1024):
            digest.update(block)
    content_hash = digest.hexdigest()
    existing = _same_as_current(resource, content_hash)
    if existing is not None:
        return existing
    ext = ("." + filename.rsplit(".", 1)[-1].lower()[:10]) if "." in filename else ""
    final = storage.area("files") / f"{content_hash}{ext}"
    if not final.exists():
        storage.write_atomic(final, lambda tmp: shutil.copyfile(source, tmp))
    fmt = ext.lstrip(".").upper() or "BIN"
    _before_publish(resource)
    return _flip(resource=resource, actor=actor, content_hash=content_hash,
                 path=storage.relative(final), format=fmt, filename=filename,
                 media_type=media_type or mimetypes.guess_type(filename)[0] or "",
                 size=final.stat().st_size, row_count=None, schema={}, encoding="", diff={})


# --- ingest jobs (uploads through the portal and the CKAN API) -------------------------------


def ingest_job_create(*, resource: Resource, upload: Path, filename: str, size: int,
                      actor=None, run_now: bool = False) -> IngestJob:
    """Queue an uploaded file for ingest (the task runs after the transaction commits)."""
    job = IngestJob.objects.create(resource=resource, upload_path=storage.relative(upload),
                                   filename=filename[:255], size=size,
                                   created_by=_user(actor))
    audit_record(actor=actor, action="datahub.ingest_queue", obj=resource.dataset,
                 data={"job": job.pk, "filename": filename, "size": size})
    if run_now:
        ingest_job_run(job_id=job.pk)
        job.refresh_from_db()
    else:
        from civicport.datahub.tasks import ingest_run

        transaction.on_commit(lambda: ingest_run.enqueue(job.pk))
    return job


def source_publish(*, resource: Resource, source: Path, filename: str, actor=None,
                   progress=None, build_search: bool = True) -> Version:
    """A file on disk → the resource's new version (tables validated first; raises
    ingest.IngestError with the errors, publishing nothing)."""
    if resource.kind == Resource.Kind.FILE or ingest.table_format(filename) is None:
        return file_version_publish(resource=resource, source=source, filename=filename,
                                    actor=actor)
    prepared = ingest.prepare_table(source, filename, progress or (lambda p, s: None))
    return version_publish(resource=resource, prepared=prepared, actor=actor,
                           filename=filename, build_search=build_search)


def _progress(job_id: int):
    def report(percent: int, stage: str) -> None:
        IngestJob.objects.filter(pk=job_id).update(progress=min(percent, 99), stage=stage[:100])
    return report


def ingest_job_run(*, job_id: int) -> IngestJob:
    """Run one queued ingest: validate, publish or record the errors. Never half-publishes."""
    job = IngestJob.objects.select_related("resource__dataset", "created_by").get(pk=job_id)
    if job.is_finished:
        return job
    IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.RUNNING, progress=1)
    upload = storage.absolute(job.upload_path)
    resource = job.resource
    try:
        version = source_publish(resource=resource, source=upload, filename=job.filename,
                                 actor=job.created_by, progress=_progress(job.pk))
    except ingest.IngestError as exc:
        IngestJob.objects.filter(pk=job.pk).update(
            status=IngestJob.Status.INVALID, message=exc.message, errors=exc.errors,
            error_count=exc.count, finished_at=timezone.now(), progress=100)
    except Exception as exc:
        IngestJob.objects.filter(pk=job.pk).update(
            status=IngestJob.Status.FAILED, finished_at=timezone.now(), progress=100,
            message=_("Publishing failed; the previous version is still served. (%(error)s)")
            % {"error": type(exc).__name__})
        raise
    else:
        IngestJob.objects.filter(pk=job.pk).update(
            status=IngestJob.Status.DONE, version=version, progress=100,
            stage=_("Published"), finished_at=timezone.now(), message="")
    finally:
        upload.unlink(missing_ok=True)
    job.refresh_from_db()
    return job


# --- the contract for other modules ----------------------------------------------------------


def _dataset_for(*, slug, title, publisher, description, tags, access, actor,
                 kind: str) -> tuple[Dataset, Resource]:
    dataset = Dataset.objects.filter(slug=slug).first()
    if dataset is None:
        dataset = dataset_create(slug=slug, title=title, publisher=publisher, actor=actor,
                                 description=description, tags=tags, access=access,
                                 check_permission=False, licence="cc-by-4.0")
    resource = dataset.resources.filter(state=Dataset.State.ACTIVE).order_by("position").first()
    if resource is None:
        resource = resource_create(dataset=dataset, name=title, actor=actor, kind=kind)
    return dataset, resource


def table_publish(*, slug: str, title: str, publisher: Agency,
                  columns: list[tuple[str, str]], rows: Iterable[Sequence],
                  description: str = "", tags: Sequence[str] = (), access: str = Access.OPEN,
                  actor=None) -> Version:
    """Publish a module's table as the single table resource of dataset `slug`.

    `columns` are (ASCII id, Vietnamese label) pairs. Creates the dataset if missing;
    returns the existing version when the content is unchanged (idempotent).
    """
    dataset, resource = _dataset_for(slug=slug, title=title, publisher=publisher,
                                     description=description, tags=tags, access=access,
                                     actor=actor, kind=Resource.Kind.TABLE)
    source = ingest.rows_to_csv(columns, rows)
    try:
        prepared = ingest.prepare_table(source, f"{slug}.csv",
                                        names=[column_id for column_id, _label in columns])
        return version_publish(resource=resource, prepared=prepared, actor=actor,
                               filename=f"{slug}.csv")
    finally:
        source.unlink(missing_ok=True)


def file_publish(*, slug: str, title: str, publisher: Agency, filename: str, content: bytes,
                 media_type: str, description: str = "", tags: Sequence[str] = (),
                 access: str = Access.OPEN, actor=None) -> Version:
    """Publish a plain file (e.g. GeoJSON) as the single file resource of dataset `slug`."""
    dataset, resource = _dataset_for(slug=slug, title=title, publisher=publisher,
                                     description=description, tags=tags, access=access,
                                     actor=actor, kind=Resource.Kind.FILE)
    source = storage.scratch(".bin")
    try:
        source.write_bytes(content)
        return file_version_publish(resource=resource, source=source, filename=filename,
                                    media_type=media_type, actor=actor)
    finally:
        source.unlink(missing_ok=True)


def read_record(*, actor, dataset: Dataset, what: str) -> None:
    """Audit a read of non-open data (open data is read without a trace)."""
    if dataset.access != Access.OPEN:
        audit_record(actor=actor, action="datahub.read", obj=dataset,
                     data={"what": what, "access": dataset.access})
