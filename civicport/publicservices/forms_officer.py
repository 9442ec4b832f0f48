"""Forms of the officer pages: inbox filters, the desk's action forms, desk registration.

An action form parses the input of one dossier action and `perform`s it by calling that action
in `actions.py` with the dossier version the page showed (`expected_version`, a hidden field):
a page gone stale meanwhile gets a ConflictError instead of overwriting someone's change.
Errors the action raises (ValidationError) are put back on the form's fields; the workflow's
refusals (ConflictError, TransitionError, ActionDenied) are left to the view.

Uploads are checked by content (`files.file_validate`) while the form is cleaned, so a bad
file fails before anything is written. Two actions come with files and run with them in one
transaction, so the change and its files stand or fall together:

* approval with the result document. Decision: the result must be a PDF (the document the
  applicant receives; images are accepted only as applicants' papers), and it is REQUIRED
  when the procedure names a result (`Procedure.result_description`) and the dossier has no
  result file yet — a paper result is scanned and attached, which the Decision 766 index
  (4.1, 4.2) counts as an electronic result. Procedures without a named result may be
  approved without one;
* the desk recording a supplement on the applicant's behalf, with the papers brought in.

Desk registration creates the dossier (`actions.dossier_register`) and stores the documents
received, each against its required document, in one transaction as well.
"""

from __future__ import annotations

from typing import ClassVar

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from civicport.publicservices import actions, files, queries
from civicport.publicservices.models import (
    Channel,
    Dossier,
    DossierStatus,
    FileKind,
    Procedure,
    ResultDelivery,
)
from civicport.publicservices.workflow import ACTION_LABELS

NOTE_MAX = actions.NOTE_MAX
TEXT_MAX = actions.TEXT_MAX

# URL slugs (Vietnamese, without diacritics) of the desk's actions.
ACTION_SLUGS = {
    "receive": "tiep-nhan",
    "refuse": "tu-choi",
    "process": "thu-ly",
    "forward": "chuyen",
    "request_supplement": "yeu-cau-bo-sung",
    "supply": "bo-sung",
    "request_fee": "yeu-cau-nop-phi",
    "pay_fee": "nop-phi",
    "approve": "phe-duyet",
    "stop": "dung-xu-ly",
    "withdraw": "rut-ho-so",
    "return": "tra-ket-qua",
    "apologize": "xin-loi",
}
SLUG_ACTIONS = {slug: action for action, slug in ACTION_SLUGS.items()}


# --- uploads ----------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by content. Cleans to a list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        if self.required and not uploads:
            raise ValidationError(self.error_messages["required"], code="required")
        return [checked_upload(super(MultipleFileField, self).clean(d, initial)) for d in uploads]


def checked_upload(upload, *, pdf_only: bool = False):
    """`upload` if its content is an accepted file (and a PDF, if asked); ValidationError
    with the files module's message otherwise. None passes through."""
    if upload is None:
        return None
    content_type, _extension = files.file_validate(upload)
    if pdf_only and content_type != "application/pdf":
        raise ValidationError(_("Upload the result as a PDF file."), code="file_type")
    return upload


def store_uploads(dossier: Dossier, uploads, *, kind: str, user, required_document=None) -> None:
    for upload in uploads:
        if upload is not None:
            files.dossier_file_store(
                dossier=dossier, upload=upload, kind=kind, user=user,
                required_document=required_document,
            )


def add_action_errors(form: forms.Form, exc: ValidationError, names: dict | None = None) -> None:
    """Put an action's ValidationError on the form: on the field of the same name (or
    `names[key]`), else on the form as a whole."""
    groups = exc.error_dict.items() if hasattr(exc, "error_dict") else [(None, exc.error_list)]
    for key, errors in groups:
        name = (names or {}).get(key, key)
        form.add_error(name if name in form.fields else None, errors)


def _text(label, *, required=True, max_length=NOTE_MAX, rows=3, help_text=""):
    return forms.CharField(
        label=label, required=required, max_length=max_length, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


def _reason():
    return _text(_("Reason"))


# --- inbox filters ----------------------------------------------------------------------------


class InboxFilterForm(forms.Form):
    """The inbox filters. `agencies`: (id, label) pairs (`queries.inbox_agency_choices`)."""

    q = forms.CharField(
        label=_("Dossier code or applicant name"), required=False, max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
        help_text=_("The start of a code, or words of a name (accents optional)."),
    )
    status = forms.ChoiceField(label=_("Status"), required=False)
    urgency = forms.ChoiceField(
        label=_("Deadline"), required=False,
        choices=[("", _("Any deadline")), ("overdue", _("Overdue")), ("due_today", _("Due today"))],
    )
    agency = forms.TypedChoiceField(label=_("Agency"), required=False, coerce=int, empty_value=None)
    transferred = forms.BooleanField(
        label=_("Only dossiers now held by another agency (inter-agency transfer)"),
        required=False,
    )
    page = forms.IntegerField(required=False, min_value=1, max_value=queries.MAX_PAGE)

    # The filters shown as <select> lists, in the page's order.
    SELECTS = ("status", "urgency", "agency")

    def __init__(self, *args, agencies, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All work in hand"))] + [
            (status, DossierStatus(status).label) for status in queries.LISTED_STATUSES
        ]
        self.fields["agency"].choices = [("", _("All my agencies"))] + list(agencies)

    def filters(self) -> dict:
        data = self.cleaned_data
        return {
            "status": data["status"] or None, "q": data["q"], "urgency": data["urgency"] or None,
            "agency_id": data["agency"], "transferred": data["transferred"],
        }

    def query_string(self) -> str:
        """The filters as a query string without the page, for the page links."""
        data = self.data.copy()
        data.pop("page", None)
        return data.urlencode()

    def selects(self) -> list[dict]:
        """The <select> filters as the page writes them: name, label, errors and
        (value, label, selected) options, worked out here rather than by template
        filters on each option of each list."""
        selects = []
        for name in self.SELECTS:
            field = self[name]
            current = str(field.value())
            selects.append({
                "name": name, "id": field.auto_id, "label": field.label, "errors": field.errors,
                "options": [
                    (value, label, str(value) == current) for value, label in field.field.choices
                ],
            })
        return selects


# --- desk actions -----------------------------------------------------------------------------


class ActionForm(forms.Form):
    """The form of one action on one dossier (see the module docstring)."""

    action: ClassVar[str]
    # Action errors on other names than the form's fields: {action's key: field}.
    error_fields: ClassVar[dict] = {}

    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, desk: queries.Desk, **kwargs):
        self.desk = desk
        self.dossier = desk.dossier
        kwargs.setdefault("initial", {})["version"] = desk.dossier.version
        kwargs.setdefault("auto_id", f"{self.slug}-%s")
        super().__init__(*args, **kwargs)

    @property
    def slug(self) -> str:
        return ACTION_SLUGS[self.action]

    @property
    def label(self) -> str:
        return ACTION_LABELS[self.action]

    def perform(self, officer) -> Dossier:
        """Run the action; ValidationError from it lands on the form and is re-raised."""
        try:
            return self.run(officer, expected_version=self.cleaned_data["version"])
        except ValidationError as exc:
            add_action_errors(self, exc, self.error_fields)
            raise

    def run(self, officer, *, expected_version: int) -> Dossier:
        raise NotImplementedError


class ReceiveForm(ActionForm):
    action = "receive"

    def run(self, officer, *, expected_version):
        return actions.dossier_receive(
            officer=officer, dossier=self.dossier, expected_version=expected_version
        )


class RefuseForm(ActionForm):
    action = "refuse"
    error_fields = {"note": "reason"}
    reason = _reason()

    def run(self, officer, *, expected_version):
        return actions.dossier_refuse(
            officer=officer, dossier=self.dossier, expected_version=expected_version,
            reason=self.cleaned_data["reason"],
        )


class ProcessForm(ActionForm):
    action = "process"

    def run(self, officer, *, expected_version):
        return actions.dossier_process(
            officer=officer, dossier=self.dossier, expected_version=expected_version
        )


class ForwardForm(ActionForm):
    action = "forward"
    to_step = forms.TypedChoiceField(
        label=_("Next step"), required=False, coerce=int, empty_value=None
    )
    to_agency = forms.TypedChoiceField(
        label=_("Send to agency"), required=False, coerce=int, empty_value=None,
        help_text=_("Leave empty to send it to the agency of the step."),
    )
    note = _text(_("Note"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_step"].choices = [("", _("The next step"))] + [
            (step.pk, f"{step.order}. {step.name}") for step in self.desk.steps
        ]
        self.fields["to_agency"].choices = [("", "—")] + [
            (agency.pk, agency.name) for agency in self.desk.forward_agencies
        ]

    def run(self, officer, *, expected_version):
        steps = {step.pk: step for step in self.desk.steps}
        agencies = {agency.pk: agency for agency in self.desk.forward_agencies}
        return actions.dossier_forward(
            officer=officer, dossier=self.dossier, expected_version=expected_version,
            to_step=steps.get(self.cleaned_data["to_step"]),
            to_agency=agencies.get(self.cleaned_data["to_agency"]),
            note=self.cleaned_data["note"],
        )


class RequestSupplementForm(ActionForm):
    action = "request_supplement"
    error_fields = {"note": "reason"}
    reason = _reason()
    documents = forms.MultipleChoiceField(
        label=_("Documents to supplement"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_documents = _text(
        _("Other documents or corrections"), required=False, max_length=TEXT_MAX,
        help_text=_("One per line."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["documents"].choices = [
            (document.name, document.name) for document in self.desk.required_documents
        ]

    def run(self, officer, *, expected_version):
        data = self.cleaned_data
        note = queries.supplement_note_compose(
            data["reason"], [*data["documents"], *data["other_documents"].splitlines()]
        )
        return actions.dossier_request_supplement(
            officer=officer, dossier=self.dossier, expected_version=expected_version, reason=note
        )


class SupplyForm(ActionForm):
    action = "supply"
    files = MultipleFileField(
        label=_("Papers received"), help_text=_("PDF, JPEG or PNG; several files allowed.")
    )
    note = _text(_("Note"), required=False)

    def run(self, officer, *, expected_version):
        with transaction.atomic():
            dossier = actions.dossier_supply(
                applicant=officer, dossier=self.dossier, expected_version=expected_version,
                note=self.cleaned_data["note"],
            )
            store_uploads(dossier, self.cleaned_data["files"], kind=FileKind.SUPPLEMENT,
                          user=officer)
        return dossier


class RequestFeeForm(ActionForm):
    action = "request_fee"
    amount = forms.IntegerField(
        label=_("Fee (VND)"), required=False, min_value=1,
        help_text=_("Leave empty for the procedure's fee."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].initial = self.dossier.procedure.fee_amount or None

    def run(self, officer, *, expected_version):
        return actions.dossier_request_fee(
            officer=officer, dossier=self.dossier, expected_version=expected_version,
            amount=self.cleaned_data["amount"],
        )


class PayFeeForm(ActionForm):
    action = "pay_fee"

    def run(self, officer, *, expected_version):
        return actions.dossier_pay_fee(
            actor=officer, dossier=self.dossier, expected_version=expected_version, online=False
        )


class ApproveForm(ActionForm):
    action = "approve"
    result = forms.FileField(
        label=_("Result document (PDF)"), required=False,
        widget=forms.FileInput(attrs={"accept": "application/pdf"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.result_required = bool(
            self.dossier.procedure.result_description and not self.desk.has_result
        )
        self.fields["result"].required = self.result_required
        if self.result_required:
            self.fields["result"].help_text = _(
                "Required: attach the signed result (%(result)s), scanned if it is on paper."
            ) % {"result": self.dossier.procedure.result_description}

    def clean_result(self):
        return checked_upload(self.cleaned_data.get("result"), pdf_only=True)

    def run(self, officer, *, expected_version):
        with transaction.atomic():
            dossier = actions.dossier_approve(
                officer=officer, dossier=self.dossier, expected_version=expected_version
            )
            store_uploads(dossier, [self.cleaned_data["result"]], kind=FileKind.RESULT,
                          user=officer)
        return dossier


class StopForm(ActionForm):
    action = "stop"
    error_fields = {"note": "reason"}
    reason = _reason()

    def run(self, officer, *, expected_version):
        return actions.dossier_stop(
            officer=officer, dossier=self.dossier, expected_version=expected_version,
            reason=self.cleaned_data["reason"],
        )


class WithdrawForm(ActionForm):
    action = "withdraw"
    error_fields = {"note": "reason"}
    reason = _text(_("Reason given by the applicant"))

    def run(self, officer, *, expected_version):
        return actions.dossier_withdraw(
            applicant=officer, dossier=self.dossier, expected_version=expected_version,
            reason=self.cleaned_data["reason"],
        )


class ReturnForm(ActionForm):
    action = "return"
    delivery = forms.ChoiceField(label=_("Result handed over"), choices=ResultDelivery.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["delivery"].initial = self.dossier.result_delivery

    def run(self, officer, *, expected_version):
        return actions.dossier_return(
            officer=officer, dossier=self.dossier, expected_version=expected_version,
            delivery=self.cleaned_data["delivery"],
        )


class ApologizeForm(ActionForm):
    action = "apologize"
    error_fields = {"note": "reason"}
    reason = _text(_("Reason for the delay"))
    new_due_at = forms.DateTimeField(
        label=_("New appointment"), input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def run(self, officer, *, expected_version):
        return actions.dossier_apologize(
            officer=officer, dossier=self.dossier, expected_version=expected_version,
            reason=self.cleaned_data["reason"], new_due_at=self.cleaned_data["new_due_at"],
        )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    form.action: form
    for form in (
        ReceiveForm, RefuseForm, ProcessForm, ForwardForm, RequestSupplementForm, SupplyForm,
        RequestFeeForm, PayFeeForm, ApproveForm, StopForm, WithdrawForm, ReturnForm,
        ApologizeForm,
    )
}


def action_forms(desk: queries.Desk, bound: ActionForm | None = None) -> list[ActionForm]:
    """The forms of the actions the officer may take now, `bound` in place of its own."""
    return [
        bound if bound is not None and bound.action == action else ACTION_FORMS[action](desk=desk)
        for action in desk.actions
    ]


# --- desk registration ------------------------------------------------------------------------


class RegistrationStartForm(forms.Form):
    """Step 1: which procedure (GET)."""

    procedure = forms.ChoiceField(label=_("Procedure"))

    def __init__(self, *args, procedures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", "—")] + [
            (procedure.code, f"{procedure.code} · {procedure.name}") for procedure in procedures
        ]


_SCHEMA_WIDGETS = {
    "date": lambda: forms.DateInput(attrs={"type": "date"}),
    "number": lambda: forms.TextInput(attrs={"inputmode": "decimal"}),
    "phone": lambda: forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    "id_number": lambda: forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
}


class RegistrationForm(forms.Form):
    """Step 2: the applicant, the procedure's form and the documents received.

    The procedure's own fields are named `f_<key>` (an address: `f_<key>_line` and
    `f_<key>_ward`); every value is checked once, by `actions.dossier_register`."""

    agency = forms.TypedChoiceField(label=_("Receiving agency"), coerce=int)
    applicant_name = forms.CharField(label=_("Applicant's full name"), max_length=200)
    applicant_id_number = forms.CharField(
        label=_("Citizen ID number"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    applicant_phone = forms.CharField(
        label=_("Phone number"), required=False, max_length=20,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
    )
    applicant_email = forms.CharField(
        label=_("E-mail"), required=False, max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    applicant_address = forms.CharField(label=_("Address"), required=False, max_length=500)
    applicant_ward = forms.TypedChoiceField(
        label=_("Commune or ward"), required=False, coerce=int, empty_value=None
    )
    channel = forms.ChoiceField(
        label=_("How it was received"), widget=forms.RadioSelect, initial=Channel.IN_PERSON,
        choices=[(Channel.IN_PERSON, Channel.IN_PERSON.label), (Channel.POSTAL, Channel.POSTAL.label)],
    )
    result_delivery = forms.ChoiceField(
        label=_("Result to be returned"), choices=ResultDelivery.choices,
        initial=ResultDelivery.IN_PERSON,
    )
    other_documents = MultipleFileField(
        label=_("Other documents"), help_text=_("PDF, JPEG or PNG; several files allowed.")
    )

    def __init__(self, *args, procedure: Procedure, agencies, wards, **kwargs):
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.agencies = {agency.pk: agency for agency in agencies}
        self.fields["agency"].choices = [(pk, a.name) for pk, a in self.agencies.items()]
        if len(self.agencies) == 1:
            self.fields["agency"].initial = next(iter(self.agencies))
        ward_choices = [("", "—")] + [(ward.code, ward.name) for ward in wards]
        self.wards = {ward.code: ward for ward in wards}
        self.fields["applicant_ward"].choices = ward_choices
        self.schema = [
            item for item in procedure.form_schema or []
            if isinstance(item, dict) and item.get("key") and item.get("type") != "file"
        ]
        for item in self.schema:
            self._add_schema_field(item, ward_choices)
        self.documents = list(procedure.documents.all())
        for document in self.documents:
            self.fields[f"doc_{document.pk}"] = forms.FileField(
                label=document.name, required=False,
                help_text=_("Scan of the paper received (PDF, JPEG or PNG)."),
            )

    def _add_schema_field(self, item: dict, ward_choices: list) -> None:
        key, kind = f"f_{item['key']}", item.get("type", "text")
        common = {"label": item.get("label") or item["key"], "required": bool(item.get("required")),
                  "help_text": item.get("help", "")}
        if kind == "address":
            self.fields[f"{key}_line"] = forms.CharField(max_length=400, **common)
            self.fields[f"{key}_ward"] = forms.ChoiceField(
                label=_("Commune or ward"), required=common["required"], choices=ward_choices
            )
        elif kind == "choice":
            choices = [
                (str(c.get("value")), c.get("label") or c.get("value")) if isinstance(c, dict)
                else (str(c), str(c))
                for c in item.get("choices") or []
            ]
            self.fields[key] = forms.ChoiceField(choices=[("", "—"), *choices], **common)
        else:
            widget = _SCHEMA_WIDGETS.get(kind, forms.TextInput)()
            self.fields[key] = forms.CharField(max_length=TEXT_MAX, widget=widget, **common)

    def clean(self):
        data = super().clean()
        for document in self.documents:
            name = f"doc_{document.pk}"
            try:
                data[name] = checked_upload(data.get(name))
            except ValidationError as exc:
                self.add_error(name, exc)
        return data

    def form_data(self) -> dict:
        data, values = self.cleaned_data, {}
        for item in self.schema:
            key = f"f_{item['key']}"
            if item.get("type") == "address":
                line, ward = data.get(f"{key}_line", ""), data.get(f"{key}_ward", "")
                if line or ward:
                    values[item["key"]] = {"line": line, "ward": ward}
            elif data.get(key) not in (None, ""):
                values[item["key"]] = data[key]
        return values

    def perform(self, officer) -> Dossier:
        data = self.cleaned_data
        names = {item["key"]: f"f_{item['key']}" for item in self.schema}
        names |= {
            item["key"]: f"f_{item['key']}_ward" for item in self.schema
            if item.get("type") == "address"
        }
        try:
            with transaction.atomic():
                dossier = actions.dossier_register(
                    officer=officer, procedure=self.procedure, agency=self.agencies[data["agency"]],
                    applicant_name=data["applicant_name"], form_data=self.form_data(),
                    channel=data["channel"], applicant_id_number=data["applicant_id_number"],
                    applicant_phone=data["applicant_phone"],
                    applicant_email=data["applicant_email"],
                    applicant_address=data["applicant_address"],
                    applicant_ward=self.wards.get(data["applicant_ward"]),
                    result_delivery=data["result_delivery"],
                )
                for document in self.documents:
                    store_uploads(dossier, [data.get(f"doc_{document.pk}")],
                                  kind=FileKind.DOCUMENT, user=officer,
                                  required_document=document)
                store_uploads(dossier, data["other_documents"], kind=FileKind.DOCUMENT,
                              user=officer)
        except ValidationError as exc:
            add_action_errors(self, exc, names)
            raise
        return dossier

    def schema_fields(self):
        return [self[name] for name in self.fields if name.startswith("f_")]

    def document_fields(self):
        return [self[name] for name in self.fields if name.startswith("doc_")] + [
            self["other_documents"]
        ]

    def applicant_fields(self):
        return [
            self[name] for name in (
                "agency", "applicant_name", "applicant_id_number", "applicant_phone",
                "applicant_email", "applicant_address", "applicant_ward", "channel",
                "result_delivery",
            )
        ]
