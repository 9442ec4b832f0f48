"""The two contracts other modules code against: publishing_summary and table_publish."""

import datetime

import pytest

from civicport.core.models import Agency
from civicport.core.tests.factories import agency
from civicport.datahub import actions, queries
from civicport.datahub.models import Dataset, Version
from civicport.datahub.tests.factories import WARDS_ROWS, publish_wards

pytestmark = pytest.mark.django_db


def test_publishing_summary_counts_open_published_datasets_and_departments(department,
                                                                           other_department):
    agency(name="Phường thử", kind=Agency.Kind.COMMUNE)
    publish_wards(publisher=department)
    publish_wards(publisher=other_department, slug="noi-bo", access="shared")
    actions.dataset_create(slug="chua-co-du-lieu", title="Chưa có dữ liệu",
                           publisher=other_department, check_permission=False)
    summary = queries.publishing_summary()
    assert summary["datasets_total"] == 3
    assert summary["datasets_open"] == 1
    assert summary["departments_total"] == 2
    assert summary["departments_publishing"] == 1
    assert isinstance(summary["as_of"], datetime.datetime) and summary["as_of"].tzinfo


def test_table_publish_creates_dataset_typed_version_and_is_idempotent(department):
    version = publish_wards(publisher=department)
    dataset = Dataset.objects.get(slug="phuong-xa")
    assert version.number == 1 and version.row_count == len(WARDS_ROWS)
    fields = {f["name"]: f for f in version.schema["fields"]}
    assert fields["ma"]["title"] == "Mã phường" and fields["ma"]["type"] == "integer"
    assert fields["dan_so"]["type"] == "integer" and fields["dien_tich"]["type"] == "number"
    assert fields["ngay"]["type"] == "date"
    again = publish_wards(publisher=department)
    assert again.pk == version.pk
    assert Version.objects.count() == 1
    changed = publish_wards(publisher=department, rows=WARDS_ROWS[:3])
    assert changed.number == 2
    assert changed.diff["removed"] == 2 and changed.diff["added"] == 0
    resource = dataset.resources.get()
    assert resource.current_version == changed


def test_file_publish_stores_the_file_as_a_version(department):
    content = b'{"type": "FeatureCollection", "features": []}'
    version = actions.file_publish(slug="diem-an-uong", title="Điểm ăn uống",
                                   publisher=department, filename="venues.geojson",
                                   content=content, media_type="application/geo+json")
    assert version.format == "GEOJSON" and version.size == len(content)
    same = actions.file_publish(slug="diem-an-uong", title="Điểm ăn uống",
                                publisher=department, filename="venues.geojson",
                                content=content, media_type="application/geo+json")
    assert same.pk == version.pk
