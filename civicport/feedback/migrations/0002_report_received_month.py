"""Report.received_month: the local month of receipt, stored so statistics group by a plain
column instead of converting every row's time zone."""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def fill(apps, schema_editor):
    Report = apps.get_model("feedback", "Report")
    tz = ZoneInfo(settings.TIME_ZONE)
    for report in Report.objects.filter(received_month__isnull=True).only("id", "created_at"):
        month = timezone.localtime(report.created_at, tz).date().replace(day=1)
        Report.objects.filter(pk=report.pk).update(received_month=month)


class Migration(migrations.Migration):
    dependencies = [("feedback", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="report", name="received_month",
            field=models.DateField(editable=False, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="report", name="received_month",
            field=models.DateField(editable=False),
        ),
    ]
