"""`civicport tourism_publish`: the venue list goes to the datahub as a table and a GeoJSON
file; a clear message and nothing published when the datahub is missing."""

import sys

import pytest
from django.core.management import CommandError, call_command

from civicport.tourism import opendata


def test_publish_through_the_datahub(make_venue, capsys, settings, tmp_path):
    from civicport.datahub.models import Dataset

    settings.CIVICPORT_DATA_DIR = tmp_path
    make_venue()
    call_command("tourism_publish")
    out = capsys.readouterr().out
    assert opendata.TABLE_SLUG in out and opendata.GEOJSON_SLUG in out
    slugs = set(Dataset.objects.values_list("slug", flat=True))
    assert {opendata.TABLE_SLUG, opendata.GEOJSON_SLUG} <= slugs


def test_missing_datahub_is_a_clear_error(make_venue, monkeypatch):
    monkeypatch.setitem(sys.modules, "civicport.datahub.actions", None)
    with pytest.raises(CommandError, match="datahub is not ready"):
        call_command("tourism_publish")


def test_no_venues_publishes_nothing(staff):
    with pytest.raises(CommandError, match="no published venues"):
        call_command("tourism_publish")
