"""`civicport procedures export FILE.xlsx` and `civicport procedures import FILE.xlsx`.

The workbook format is described in civicport/publicservices/excel.py. An import with any
problem changes nothing and lists every problem with its sheet, row and column.
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from civicport.publicservices.excel import CatalogueImportError, catalogue_export, catalogue_import


class Command(BaseCommand):
    help = "Export the procedure catalogue to an Excel workbook, or import one."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write every procedure to FILE.xlsx")
        export.add_argument("file")
        imported = sub.add_parser("import", help="create or update procedures from FILE.xlsx")
        imported.add_argument("file")
        imported.add_argument("--dry-run", action="store_true",
                              help="only check the file, change nothing")

    def handle(self, *args, action, file, **options):
        if action == "export":
            catalogue_export(file)
            self.stdout.write(f"exported to {file}")
            return
        try:
            counts = catalogue_import(file, dry_run=options["dry_run"])
        except FileNotFoundError:
            raise CommandError(f"no file {file}") from None
        except CatalogueImportError as exc:
            for message in exc.messages():
                self.stderr.write(message)
            raise CommandError(
                _("The file was not imported: %(count)d problems.") % {"count": len(exc.problems)}
            ) from None
        prefix = "checked (dry run): " if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}{counts['procedures']} procedures: created {counts['created']}, "
            f"updated {counts['updated']}, unchanged {counts['unchanged']}"
        )
