"""Administrative units and agencies, mounted by the lead at /api/v1/units/. Read-only, public."""

from django.utils.translation import gettext as _
from ninja import Query, Router, Schema

from civicport.core.agencies import agency_list
from civicport.core.api import ApiError
from civicport.core.models import Agency, Ward
from civicport.core.units import resolve_address, ward_list

router = Router(tags=["administrative units"])

MAX_ADDRESS = 500


class WardOut(Schema):
    code: int
    name: str
    kind: str
    province_code: int

    @staticmethod
    def resolve_province_code(ward: Ward) -> int:
        return ward.province_id


class LegacyUnitOut(Schema):
    code: int
    name: str
    district_name: str
    province_name: str
    province_code: int


class WardDetailOut(WardOut):
    legacy_units: list[LegacyUnitOut]

    @staticmethod
    def resolve_legacy_units(ward: Ward) -> list:
        return list(ward.legacy_units.order_by("code"))


class ResolveOut(Schema):
    input: str
    ward: WardOut | None


class AgencyOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    ward_code: int | None

    @staticmethod
    def resolve_ward_code(agency: Agency) -> int | None:
        return agency.ward_id


def _check_kind(kind: str, choices) -> str:
    if kind and kind not in choices.values:
        raise ApiError(
            422, "invalid_kind", _("Unknown kind: %(kind)s.") % {"kind": kind},
            [{"field": "kind", "message": ", ".join(choices.values)}],
        )
    return kind


@router.get("/wards", response=list[WardOut], summary="Current wards, communes, special zones")
def wards(request, q: str = "", kind: str = ""):
    """All current units of the city, or those whose name (or a former unit's name) matches
    `q` (diacritics ignored); `kind` is xa, phuong or dac_khu."""
    return ward_list(q, _check_kind(kind, Ward.Kind))


@router.get("/wards/{code}", response=WardDetailOut, summary="One ward and its former units")
def ward_detail(request, code: int):
    ward = Ward.objects.filter(code=code).first()
    if ward is None:
        raise ApiError(404, "not_found", _("No administrative unit has code %(code)s.")
                       % {"code": code})
    return ward


@router.get("/resolve", response=ResolveOut, summary="The current ward of an old or new address")
def resolve(request, address: str = Query(..., min_length=1, max_length=MAX_ADDRESS)):
    """E.g. `xã Đại Hợp, huyện Kiến Thụy` → Xã Kiến Hải. `ward` is null when no single
    current ward matches."""
    if not address.strip():
        raise ApiError(422, "invalid", _("Give an address to resolve."))
    return {"input": address, "ward": resolve_address(address)}


@router.get("/agencies", response=list[AgencyOut], summary="The city's agencies")
def agencies(request, q: str = "", kind: str = ""):
    """Agencies in tree order; `kind` is city, department, commune or unit."""
    return agency_list(q, _check_kind(kind, Agency.Kind))
