"""Production serves static files through whitenoise's manifest storage, which refuses to
start on a broken reference (a CSS url() or a JS source map that is not there). Tests run
with the plain storage, so collect once the production way here."""

from django.core.management import call_command


def test_collectstatic_with_the_production_storage(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
    assert list(tmp_path.glob("vendor/leaflet-1.9.4/leaflet.*.js"))
