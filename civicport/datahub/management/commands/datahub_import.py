"""`civicport datahub_import FILE_OR_DIR… [--publisher CODE] [--access open] [--json]`:
load files as datasets (one dataset per file, named after it), through the same pipeline
as uploads: encoding repair, schema, validation, atomic publish. A file whose dataset
exists becomes a new version (nothing new when unchanged). Prints one line per file, or
with --json one JSON object with the timings (used by bench/datahub.py)."""

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from civicport.core.models import Agency
from civicport.core.text import slugify
from civicport.datahub import actions, ingest
from civicport.datahub.models import Access, Dataset


class Command(BaseCommand):
    help = "Load CSV/XLSX/JSON files (or a directory of them) as datasets."

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+")
        parser.add_argument("--publisher", default="", help="agency code (default: first department)")
        parser.add_argument("--access", default=Access.OPEN, choices=Access.values)
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, paths, publisher, access, json=False, **options):
        agency = (Agency.objects.filter(code=publisher).first() if publisher else
                  Agency.objects.filter(kind=Agency.Kind.DEPARTMENT).order_by("code").first())
        if agency is None:
            raise CommandError("no publisher agency (give --publisher CODE or seed first)")
        files = []
        for raw in paths:
            path = Path(raw)
            files += sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
        report = {"files": [], "errors": []}
        started = time.perf_counter()
        for path in files:
            began = time.perf_counter()
            try:
                version = self._load(path, agency, access)
            except ingest.IngestError as exc:
                report["errors"].append({"file": path.name, "message": exc.message,
                                         "errors": exc.errors[:5]})
                if not json:
                    self.stderr.write(f"{path.name}: {exc.message}")
                continue
            seconds = time.perf_counter() - began
            # The search sidecar is built once the version is visible, like an index.
            actions.version_search_build(version=version)
            search_seconds = time.perf_counter() - began - seconds
            entry = {"file": path.name, "dataset": version.resource.dataset.slug,
                     "resource_id": str(version.resource_id), "version": version.number,
                     "rows": version.row_count, "fields": len(version.schema.get("fields", [])),
                     "bytes": path.stat().st_size, "encoding": version.encoding,
                     "seconds": round(seconds, 3), "search_seconds": round(search_seconds, 3)}
            report["files"].append(entry)
            if not json:
                self.stdout.write(f"{path.name}: {entry['dataset']} v{entry['version']} "
                                  f"{entry['rows']} rows in {entry['seconds']} s")
        report["seconds"] = round(time.perf_counter() - started, 3)
        if json:
            from json import dumps

            self.stdout.write(dumps(report))

    def _load(self, path: Path, agency, access):
        slug = slugify(path.stem, max_length=90) or "du-lieu"
        dataset = Dataset.objects.filter(slug=slug).first()
        if dataset is None:
            dataset = actions.dataset_create(slug=slug, title=path.stem.replace("-", " "),
                                             publisher=agency, access=access,
                                             check_permission=False)
        resource = dataset.resources.filter(state=Dataset.State.ACTIVE).first() or \
            actions.resource_create(dataset=dataset, name=path.name)
        return actions.source_publish(resource=resource, source=path, filename=path.name,
                                      build_search=False)
