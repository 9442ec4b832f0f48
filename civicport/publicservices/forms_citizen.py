"""Forms of the citizen pages: the procedure's online form (built from `form_schema`), the
supplement, withdrawal, rating and tracking forms.

The online form only parses: the rules of each field type are `actions.form_validate`'s (run
in full for "Xem lại", leniently for a draft, which may be incomplete), uploads are checked by
their content with `files.inspect_upload`. Field names cannot collide: form fields are
`f-<key>` (schema keys have no hyphen), an address adds `f-<key>-ward`, documents are
`doc-<id>`, and the form's own fields (`agency`, `version`) have no hyphen.
"""

from __future__ import annotations

import contextlib
import secrets
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicport.core.models import Agency, Ward
from civicport.core.text import fold
from civicport.core.units import bare_name, ward_search
from civicport.publicservices.actions import NOTE_MAX, SUBMIT_KEY_MAX, form_validate
from civicport.publicservices.citizen import (
    Upload,
    agency_for_ward,
    choice_options,
    file_items,
    slot_files,
)
from civicport.publicservices.files import clean_original_name, inspect_upload
from civicport.publicservices.models import Dossier, DossierFile, Procedure, RequiredDocument
from civicport.publicservices.tracking import CODE_MAX

FIELD_PREFIX = "f-"
WARD_SUFFIX = "-ward"
DOC_PREFIX = "doc-"
ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"
TEXT_MAX = 1000
# Form keys prefilled from the account (besides the first phone field).
NAME_KEYS = frozenset({"applicant_name", "ho_ten", "full_name", "contact_name"})
FILE_HELP = gettext_lazy("PDF, JPEG or PNG.")


# --- shared pieces ------------------------------------------------------------------------------


def upload_field(label, *, help_text=FILE_HELP) -> forms.FileField:
    return forms.FileField(
        label=label, required=False, help_text=help_text,
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )


def version_field() -> forms.IntegerField:
    return forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ActionErrorsMixin:
    """Puts an action's ValidationError on the matching fields (others: the whole form)."""

    def field_name_for(self, key: str) -> str | None:
        return key if key in self.fields else None

    def add_action_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for key, errors in exc.error_dict.items():
            name = self.field_name_for(key)
            for error in errors:
                self.add_error(name, error)

    def error_codes(self) -> dict[str, list[str]]:
        """{field name or "__all__": [codes]}: what tests and the lead's checks look at."""
        return {
            name: [e.code or "invalid" for e in errors]
            for name, errors in self.errors.as_data().items()
        }

    def check_upload(self, name: str):
        """The upload in `name`, checked by content (error on the field), or None."""
        upload = self.cleaned_data.get(name)
        if not upload:
            return None
        try:
            found = inspect_upload(upload)
        except ValidationError as exc:
            self.add_error(name, exc)
            return None
        return upload, found


# --- wards ------------------------------------------------------------------------------------


def ward_choices(wards: list[Ward] | None = None) -> list:
    """Select choices of the province's wards: grouped by kind, sorted by name (accents
    ignored), the kind prefix left in the label so screen readers read the full name."""
    if wards is None:
        wards = list(Ward.objects.filter(province_id=settings.CIVICPORT_PROVINCE))
    groups = []
    for kind, label in Ward.Kind.choices:
        members = sorted(
            (w for w in wards if w.kind == kind), key=lambda w: fold(bare_name(w.name))
        )
        if members:
            groups.append((capfirst(label), [(str(w.code), w.name) for w in members]))
    return groups


def ward_options(query: str, selected: str = "") -> list:
    """Choices for the htmx ward search: matches of `query` (also by the names of the former
    communes a ward absorbed), plus the selected ward so a choice is never lost."""
    query = (query or "").strip()[:100]
    if not query:
        return ward_choices()
    province = settings.CIVICPORT_PROVINCE
    found = [w for w in ward_search(query, limit=30) if w.province_id == province]
    if selected.isdigit() and all(str(w.code) != selected for w in found):
        found += list(Ward.objects.filter(code=int(selected)))
    return ward_choices(found)


# --- the procedure's online form --------------------------------------------------------------


def schema_items(procedure: Procedure) -> list[dict]:
    return [
        item for item in procedure.form_schema or []
        if isinstance(item, dict) and isinstance(item.get("key"), str) and item.get("key")
    ]


def prefill(schema: list[dict], user) -> dict:
    """Initial form values from the account: name, the first phone field, e-mail."""
    values, phone_done = {}, False
    for item in schema:
        key, kind = item["key"], item.get("type", "text")
        if kind == "phone" and not phone_done and user.phone:
            values[key], phone_done = user.phone, True
        elif kind == "text" and key in NAME_KEYS and (user.full_name or "").strip():
            values[key] = user.full_name
        elif kind == "text" and "email" in key and user.email:
            values[key] = user.email
    return values


@dataclass
class Row:
    """One question of the online form, for the template."""

    key: str
    kind: str
    label: str
    required: bool
    field: BoundField
    ward: BoundField | None = None
    current: DossierFile | None = None

    @property
    def testid(self) -> str:
        return f"field-{self.key}"


@dataclass
class DocumentRow:
    """One required document's upload, for the template."""

    document: RequiredDocument
    field: BoundField
    current: DossierFile | None

    @property
    def testid(self) -> str:
        return f"document-{self.document.order}"


class DossierForm(ActionErrorsMixin, forms.Form):
    """The procedure's form, the agency (when several handle it) and one upload per document.

    `mode` is DRAFT (anything goes, values cleaned where they can be) or PREVIEW (the whole
    form must pass `form_validate` and every required document must be there). After
    `is_valid()`: `form_data`, `uploads` (list of `citizen.Upload`) and `chosen_agency`."""

    DRAFT, PREVIEW = "draft", "preview"

    version = version_field()

    def __init__(
        self, data=None, files=None, *, procedure: Procedure, agencies: list[Agency], user,
        dossier: Dossier | None = None, mode: str = DRAFT,
    ):
        super().__init__(data, files)
        self.procedure, self.agencies, self.user = procedure, agencies, user
        self.dossier, self.mode = dossier, mode
        self.schema = schema_items(procedure)
        self.documents: list[RequiredDocument] = list(procedure.documents.all())
        self.current_files = slot_files(dossier)
        self.form_data: dict = {}
        self.uploads: list[Upload] = []
        self.chosen_agency: Agency | None = None
        saved = dict(dossier.form_data or {}) if dossier else prefill(self.schema, user)
        self._wards = None
        for item in self.schema:
            self._add_schema_field(item, saved.get(item["key"]))
        for document in self.documents:
            label = document.name + (f" ({document.copies})" if document.copies else "")
            self.fields[f"{DOC_PREFIX}{document.pk}"] = upload_field(label)
        if len(agencies) > 1:
            self._add_agency_field()
        if dossier is not None:
            self.fields["version"].initial = dossier.version

    # building

    def _ward_choices(self) -> list:
        if self._wards is None:
            self._wards = ward_choices()
        return self._wards

    def _add_schema_field(self, item: dict, saved) -> None:
        name, kind = FIELD_PREFIX + item["key"], item.get("type", "text")
        label, help_text = item.get("label") or item["key"], item.get("help") or ""
        attrs = {"aria-required": "true"} if item.get("required") else {}
        if kind == "file":
            self.fields[name] = upload_field(label, help_text=help_text or FILE_HELP)
            return
        if kind == "address":
            saved = saved if isinstance(saved, dict) else {}
            self.fields[name] = forms.CharField(
                label=label, required=False, max_length=400, help_text=help_text,
                initial=saved.get("line", ""),
                widget=forms.TextInput(attrs={**attrs, "autocomplete": "street-address"}),
            )
            self.fields[name + WARD_SUFFIX] = forms.CharField(
                label=_("Commune, ward or special zone"), required=False,
                initial=str(saved.get("ward") or ""),
                widget=forms.Select(
                    choices=[("", _("— Choose —")), *self._ward_choices()], attrs=attrs
                ),
            )
            return
        widget = {
            "number": forms.TextInput(attrs={**attrs, "inputmode": "decimal"}),
            "date": forms.DateInput(attrs={**attrs, "type": "date"}, format="%Y-%m-%d"),
            "id_number": forms.TextInput(
                attrs={**attrs, "inputmode": "numeric", "maxlength": 15, "autocomplete": "off"}
            ),
            "phone": forms.TextInput(attrs={**attrs, "type": "tel", "autocomplete": "tel"}),
            "choice": forms.Select(
                choices=[("", _("— Choose —")), *choice_options(item.get("choices"))],
                attrs=attrs,
            ),
        }.get(kind, forms.TextInput(attrs=attrs))
        self.fields[name] = forms.CharField(
            label=label, required=False, help_text=help_text, widget=widget,
            # Free text only; choices and dates are checked by form_validate.
            max_length=None if kind in ("choice", "date") else TEXT_MAX,
            initial="" if saved is None else str(saved),
        )

    def _add_agency_field(self) -> None:
        by_ward = any(a.ward_id for a in self.agencies)
        empty = (
            _("The committee of the commune or ward in my address") if by_ward
            else _("— Choose —")
        )
        self.fields["agency"] = forms.TypedChoiceField(
            label=_("Agency that handles the dossier"), required=False, coerce=int,
            empty_value=None,
            choices=[("", empty), *[(a.pk, a.name) for a in self.agencies]],
            initial=self.dossier.agency_id if self.dossier else "",
        )

    # reading

    def rows(self) -> list[Row]:
        rows = []
        for item in self.schema:
            name = FIELD_PREFIX + item["key"]
            kind = item.get("type", "text")
            rows.append(Row(
                key=item["key"], kind=kind, label=item.get("label") or item["key"],
                required=bool(item.get("required")), field=self[name],
                ward=self[name + WARD_SUFFIX] if kind == "address" else None,
                current=self.current_files.get(item["key"]) if kind == "file" else None,
            ))
        return rows

    def document_rows(self) -> list[DocumentRow]:
        return [
            DocumentRow(d, self[name], self.current_files.get(name))
            for d in self.documents
            for name in [f"{DOC_PREFIX}{d.pk}"]
        ]

    def field_name_for(self, key: str) -> str | None:
        if FIELD_PREFIX + key in self.fields:
            return FIELD_PREFIX + key
        if key.startswith(DOC_PREFIX) and key in self.fields:
            return key
        return key if key == "agency" and key in self.fields else None

    # cleaning

    def clean(self):
        data = super().clean()
        raw = self._raw_values()
        self._collect_uploads(raw)
        if self.mode == self.PREVIEW:
            try:
                # File fields pass through form_validate unchanged: their references stay.
                self.form_data = form_validate(self.schema, raw)
            except ValidationError as exc:
                self.add_action_error(exc)
            self._check_required_uploads()
        else:
            self.form_data = self._lenient(raw)
        self.chosen_agency = self._resolve_agency(raw)
        return data

    def _raw_values(self) -> dict:
        raw = {}
        for item in self.schema:
            key, kind = item["key"], item.get("type", "text")
            name = FIELD_PREFIX + key
            if kind == "file":
                continue
            value = (self.cleaned_data.get(name) or "").strip()
            if kind == "address":
                ward = (self.cleaned_data.get(name + WARD_SUFFIX) or "").strip()
                if value or ward:
                    raw[key] = {"line": value, "ward": ward}
            elif value:
                raw[key] = value
        return raw

    def _collect_uploads(self, raw: dict) -> None:
        """Check every upload; keep the good ones; file fields point at theirs by SHA-256."""
        previous = self.dossier.form_data if self.dossier else {}
        for item in file_items(self.schema):
            key = item["key"]
            checked = self.check_upload(FIELD_PREFIX + key)
            if checked:
                upload, found = checked
                self.uploads.append(Upload(upload, key=key))
                raw[key] = {
                    "name": clean_original_name(upload.name, found.extension),
                    "sha256": found.sha256,
                }
            elif isinstance((previous or {}).get(key), dict):
                raw[key] = previous[key]
        for document in self.documents:
            checked = self.check_upload(f"{DOC_PREFIX}{document.pk}")
            if checked:
                self.uploads.append(Upload(checked[0], required_document=document))

    def _lenient(self, raw: dict) -> dict:
        """A draft keeps every value: cleaned where it passes, as typed where not yet."""
        values = dict(raw)
        for item in self.schema:
            key = item["key"]
            if key in raw and item.get("type") != "file":
                with contextlib.suppress(ValidationError, KeyError):
                    values[key] = form_validate([{**item, "required": False}], raw)[key]
        return values

    def _check_required_uploads(self) -> None:
        have = set(self.current_files) | {
            u.key or f"{DOC_PREFIX}{u.required_document.pk}" for u in self.uploads
        }
        message = _("Upload this document.")
        for item in file_items(self.schema):
            name = FIELD_PREFIX + item["key"]
            if item.get("required") and item["key"] not in have and not self.has_error(name):
                self.add_error(name, ValidationError(message, code="document_required"))
        for document in self.documents:
            name = f"{DOC_PREFIX}{document.pk}"
            if document.is_required and name not in have and not self.has_error(name):
                self.add_error(name, ValidationError(message, code="document_required"))

    def _resolve_agency(self, raw: dict) -> Agency | None:
        if len(self.agencies) == 1:
            return self.agencies[0]
        chosen = self.cleaned_data.get("agency")
        if chosen:
            return next((a for a in self.agencies if a.pk == chosen), None)
        for item in self.schema:
            value = raw.get(item["key"])
            if item.get("type") == "address" and isinstance(value, dict):
                found = agency_for_ward(self.agencies, value.get("ward"))
                if found is not None:
                    return found
        self.add_error("agency" if "agency" in self.fields else None, ValidationError(
            _("Choose the agency, or give your address with its commune or ward."),
            code="agency_required",
        ))
        return None


# --- after submission ---------------------------------------------------------------------------


class SupplementForm(ActionErrorsMixin, forms.Form):
    """The documents an agency asked for: one upload per required document, one more for
    anything else, and a note."""

    note = forms.CharField(
        label=gettext_lazy("Note to the agency"), required=False, max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    other = upload_field(gettext_lazy("Other document"))
    version = version_field()

    def __init__(self, data=None, files=None, *, dossier: Dossier):
        super().__init__(data, files)
        self.documents = list(dossier.procedure.documents.all())
        for document in self.documents:
            self.fields[f"{DOC_PREFIX}{document.pk}"] = upload_field(document.name)
        self.order_fields([f"{DOC_PREFIX}{d.pk}" for d in self.documents] + ["other", "note"])
        self.fields["version"].initial = dossier.version
        self.uploads: list[Upload] = []

    def clean(self):
        data = super().clean()
        for document in self.documents:
            checked = self.check_upload(f"{DOC_PREFIX}{document.pk}")
            if checked:
                self.uploads.append(Upload(checked[0], required_document=document))
        checked = self.check_upload("other")
        if checked:
            self.uploads.append(Upload(checked[0]))
        return data

    def field_name_for(self, key: str) -> str | None:
        return "other" if key == "files" else super().field_name_for(key)


class WithdrawForm(ActionErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you withdraw the dossier?"), max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy(
            "I understand that a withdrawn dossier is no longer processed and cannot be resumed."
        ),
    )
    version = version_field()


class RatingForm(ActionErrorsMixin, forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with how your dossier was handled?"),
        coerce=int, choices=[(n, str(n)) for n in range(1, 6)], widget=forms.RadioSelect,
        help_text=gettext_lazy("1 = very dissatisfied, 5 = very satisfied."),
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment"), required=False, max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    version = version_field()


class TrackingForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Dossier code"), max_length=CODE_MAX,
        help_text=gettext_lazy("As printed on the receipt, e.g. 000.00.07.H31-260213-0001."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    second_factor = forms.CharField(
        label=gettext_lazy("Applicant's phone number or citizen ID number"), max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
    )


class SubmitForm(ActionErrorsMixin, forms.Form):
    """The preview's submit button: a random key rendered with the page makes a double click
    or a retried request submit once (`actions.dossier_submit` is idempotent on it)."""

    submit_key = forms.CharField(max_length=SUBMIT_KEY_MAX, widget=forms.HiddenInput)

    @classmethod
    def fresh(cls) -> SubmitForm:
        return cls(initial={"submit_key": secrets.token_urlsafe(24)})
