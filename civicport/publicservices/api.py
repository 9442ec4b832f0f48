"""Public-services API, mounted by the lead at /api/v1/publicservices/. The catalogue is
public (no login): procedures, one procedure in full, and the fields."""

from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from civicport.core.api import ApiError
from civicport.publicservices import catalogue

router = Router(tags=["public services"])


class FieldOut(Schema):
    code: str
    name: str


class FieldCountOut(FieldOut):
    procedure_count: int


class AgencyOut(Schema):
    code: str
    name: str
    short_name: str


class AgenciesOut(Schema):
    """Implementing agencies: the departments by name; commune committees as a count, since a
    commune procedure is handled by every one of them."""

    agencies: list[AgencyOut]
    commune_count: int


class ProcedureOut(Schema):
    code: str
    name: str
    field: FieldOut
    level: str
    time_amount: float
    time_unit: str
    fee_amount: int
    implementing: AgenciesOut
    updated_at: str

    @staticmethod
    def resolve_implementing(procedure) -> dict:
        return catalogue.agency_summary(procedure)

    @staticmethod
    def resolve_updated_at(procedure) -> str:
        return procedure.updated_at.isoformat()


class FormFieldOut(Schema):
    key: str
    label: str
    type: str
    required: bool = False
    choices: list[str] | None = None
    help: str = ""


class DocumentOut(Schema):
    order: int
    name: str
    is_required: bool
    copies: str
    template_url: str | None

    @staticmethod
    def resolve_template_url(document) -> str | None:
        return document.template.url if document.template else None


class StepOut(Schema):
    order: int
    name: str
    role: str
    hours: float
    agency: AgencyOut | None = None


class ProcedureDetailOut(ProcedureOut):
    fee_description: str
    legal_basis: str
    result_description: str
    requirements: str
    form_schema: list[FormFieldOut]
    documents: list[DocumentOut]
    steps: list[StepOut]

    @staticmethod
    def resolve_documents(procedure) -> list:
        return list(procedure.documents.all())

    @staticmethod
    def resolve_steps(procedure) -> list:
        return list(procedure.steps.all())


@router.get(
    "/procedures", response=list[ProcedureOut], summary="Search the procedure catalogue",
)
@paginate(PageNumberPagination)
def procedures(request, q: str = "", agency: str = "", field: str = "", level: str = ""):
    """Active procedures matching every word of `q` (Vietnamese accents optional: `giay phep
    lai xe`). `agency` is an agency code, or `xa` for every commune-level committee; `field`
    a field code; `level` one of toan_trinh, mot_phan, truc_tiep. Ordered by field and code."""
    filters = catalogue.catalogue_filters(q=q, agency=agency, field_code=field, level=level)
    if filters.errors:
        raise ApiError(
            422, "invalid_filter", _("Some filters are not valid."),
            [{"field": name, "message": message} for name, message in filters.errors.items()],
        )
    return catalogue.procedure_list(catalogue.procedure_search(**filters.search))


@router.get(
    "/procedures/{code}", response=ProcedureDetailOut,
    summary="One procedure: documents, steps, fees and its online form",
)
def procedure_detail(request, code: str):
    procedure = catalogue.procedure_detail(code)
    if procedure is None:
        raise ApiError(404, "not_found", _("No procedure has code %(code)s.") % {"code": code})
    return procedure


@router.get("/fields", response=list[FieldCountOut], summary="Fields of procedures")
def fields(request):
    """Every field with its number of active procedures, by code."""
    return list(catalogue.field_list())
