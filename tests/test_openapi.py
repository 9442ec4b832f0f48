from pathlib import Path

from civicport.cli import openapi_json

COMMITTED = Path(__file__).resolve().parents[1] / "docs" / "openapi-v1.json"


def test_committed_openapi_document_is_current():
    assert COMMITTED.read_text(encoding="utf-8") == openapi_json(), (
        "The API changed: run `make openapi` and commit docs/openapi-v1.json."
    )
