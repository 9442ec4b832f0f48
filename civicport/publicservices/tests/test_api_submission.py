"""`POST /dossiers/submissions`: create, attach and submit in one request, all or nothing."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.forms.models import model_to_dict
from django.utils.datastructures import MultiValueDict

from civicport.core.models import AuditEntry, Notification
from civicport.publicservices import citizen
from civicport.publicservices.models import Dossier, DossierFile, DossierStatus
from civicport.publicservices.tests import factories as f
from civicport.publicservices.tests.test_api_dossiers import (
    EXE,
    KEY,
    PDF,
    VALID,
    auth,
    create,
    pdf_upload,
    submit,
    w,
)
from civicport.publicservices.tests.test_codes import _run_in_threads

pytestmark = pytest.mark.usefixtures("calendar", "media")
__all__ = ["w"]  # the fixture, shared with the step-by-step API tests


def send(w, *, key=KEY, form_data=VALID, files=None, user=None, **fields):
    data = {"procedure_code": w.procedure.code, "form_data": json.dumps(form_data), **fields}
    return w.api.post(
        "/dossiers/submissions",
        data=data,
        FILES=MultiValueDict(files or {}),
        headers={**auth(user or w.citizen), "Idempotency-Key": key},
    )


def pdf(name="to-khai.pdf", data=PDF):
    return [SimpleUploadedFile(name, data, content_type="application/pdf")]


def test_one_request_submits_with_its_document(w):
    w.document.is_required = True
    w.document.save()
    response = send(w, files={f"document_{w.document.pk}": pdf()})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == DossierStatus.NEW
    assert body["code"].startswith("000.00.07.H31-260213-")
    assert body["due_at"]
    dossier = Dossier.objects.get(pk=body["id"])
    assert dossier.applicant == w.citizen and dossier.submit_key == KEY
    assert dossier.files.get().required_document == w.document


def test_retry_with_the_same_key_returns_the_same_dossier(w):
    first = send(w)
    again = send(w)
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert Dossier.objects.count() == 1


def test_form_errors_leave_no_draft(w):
    response = send(w, form_data={"ho_ten": "Lan", "cccd": "03119000123"})
    assert response.status_code == 422
    fields = {d["field"] for d in response.json()["error"]["details"]}
    assert "form_data.cccd" in fields
    assert Dossier.objects.count() == 0


def test_missing_required_document_leaves_no_draft(w):
    w.document.is_required = True
    w.document.save()
    response = send(w)
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "document_required"
    assert Dossier.objects.count() == 0 and DossierFile.objects.count() == 0


def test_an_executable_named_pdf_is_refused_by_its_field(w):
    response = send(w, files={f"document_{w.document.pk}": pdf("don.pdf", EXE)})
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["field"] == f"document_{w.document.pk}"
    assert Dossier.objects.count() == 0


@pytest.mark.parametrize("name", ["document_999999", "tep", "document_x"])
def test_files_must_answer_a_document_of_the_procedure(w, name):
    response = send(w, files={name: pdf()})
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "unknown_document"
    assert Dossier.objects.count() == 0


@pytest.mark.parametrize("raw", ["not json", "[1, 2]", '"text"'])
def test_form_data_must_be_a_json_object(w, raw):
    response = w.api.post(
        "/dossiers/submissions",
        data={"procedure_code": w.procedure.code, "form_data": raw},
        headers={**auth(w.citizen), "Idempotency-Key": KEY},
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "form_data"
    assert Dossier.objects.count() == 0


def test_unknown_procedure(w):
    response = send(w, procedure_code="9.999999")
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["code"] == "unknown_procedure"


def test_another_citizens_key_is_not_theirs_to_read(w):
    mine = send(w)
    assert mine.status_code == 201
    theirs = send(w, user=w.other_citizen)
    assert theirs.status_code == 422
    assert theirs.json()["error"]["details"][0]["code"] == "submit_key_reused"
    assert mine.json()["code"] not in theirs.text
    assert Dossier.objects.count() == 1


def test_needs_a_login(w):
    response = w.api.post(
        "/dossiers/submissions",
        data={"procedure_code": w.procedure.code},
        headers={"Idempotency-Key": KEY},
    )
    assert response.status_code == 401


@pytest.mark.django_db(transaction=True)
def test_twin_requests_racing_make_one_dossier():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across threads are exercised on PostgreSQL (CI)")
    agency = f.agency(code="000.00.11.H31")
    procedure = f.procedure(agency=agency, days=5, form_schema=[])
    applicant = f.citizen()

    def submit():
        dossier, created = citizen.dossier_file_and_submit(
            applicant=applicant, procedure=procedure, agency=agency, form_data={},
            uploads=[], submit_key=KEY,
        )
        return dossier.pk, created

    results, errors = _run_in_threads(6, submit)
    assert errors == []
    assert len({pk for pk, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert Dossier.objects.count() == 1


# --- the one write is the same as the three requests ------------------------------------------


def _fields(dossier: Dossier) -> dict:
    values = model_to_dict(dossier)
    for name in ("id", "code", "submit_key"):
        values.pop(name)
    return values


def test_one_request_writes_what_the_three_requests_write(w):
    w.document.is_required = True
    w.document.save()
    one = send(w, key="one-request-1", files={f"document_{w.document.pk}": pdf()}).json()
    three = create(w)["id"]
    uploaded = w.api.post(
        f"/dossiers/{three}/files",
        data={"required_document_id": w.document.pk},
        FILES=pdf_upload(),
        headers=auth(w.citizen),
    )
    assert uploaded.status_code == 201
    assert submit(w, three, key="three-requests-1").status_code == 201
    first, second = Dossier.objects.get(pk=one["id"]), Dossier.objects.get(pk=three)
    assert _fields(first) == _fields(second)  # the clock stands still: even the times
    assert first.version == 2 and first.status == DossierStatus.NEW

    def history(dossier):
        events = list(dossier.events.order_by("at", "pk"))
        audit = AuditEntry.objects.filter(object_id=str(dossier.pk)).order_by("pk")
        return (
            [(e.action, e.from_status, e.to_status, e.agency_id, e.data) for e in events],
            [
                (a.action, {k: v for k, v in a.data.items() if k not in ("event", "code")})
                for a in audit
            ],
            [a.data["event"] for a in audit] == [e.pk for e in events],
            sorted(Notification.objects.filter(idempotency_key__startswith=f"dossier:{dossier.pk}:")
                   .values_list("channel", "template")),
        )

    assert history(first) == history(second)
    assert history(first)[0][0][0] == "draft_save" and history(first)[2] is True
    assert AuditEntry.objects.get(action="dossier.submit", object_id=str(first.pk)).data[
        "code"] == first.code


def test_the_answer_is_what_reading_the_dossier_shows(w):
    response = send(w, files={f"document_{w.document.pk}": pdf()})
    assert response.status_code == 201
    body = response.json()
    again = w.api.get(f"/dossiers/{body['id']}", headers=auth(w.citizen))
    assert body == again.json()
    assert body["files"][0]["required_document_id"] == w.document.pk


def test_a_new_draft_is_answered_as_reading_it_shows(w):
    body = create(w)
    assert body == w.api.get(f"/dossiers/{body['id']}", headers=auth(w.citizen)).json()


def test_one_request_runs_a_fixed_number_of_statements(w, django_assert_max_num_queries):
    headers = {**auth(w.citizen), "Idempotency-Key": KEY}
    # 22 here: token (+ its last use), procedure, its documents, agency, key; savepoint (the
    # test's transaction), calendar (2, cached in a running server), steps, counter (+3 for
    # the day's first), dossier, file, events, audit entries, SMS and e-mail, release; the
    # caller's roles for `actions`. (The audit seal and task queueing follow the commit.)
    with django_assert_max_num_queries(22):
        response = w.api.post(
            "/dossiers/submissions",
            data={"procedure_code": w.procedure.code, "form_data": json.dumps(VALID)},
            FILES=MultiValueDict({f"document_{w.document.pk}": pdf()}),
            headers=headers,
        )
    assert response.status_code == 201
