"""Core endpoints of /api/v1/ and the API-wide error format.

Every error, whatever raised it, is `{"error": {"code", "message", "details"}}` with the
message in the request's language.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PageNumberPagination, paginate

from civicport.core.api_auth import REQUIRED
from civicport.core.queries import user_agencies

router = Router(tags=["core"])


class ApiError(Exception):
    """Raise from an endpoint for a clean error response."""

    def __init__(self, status: int, code: str, message: str, details: list | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details or []


def error_body(code: str, message: str, details: list | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or []}}


def install_error_handlers(api) -> None:
    @api.exception_handler(ApiError)
    def on_api_error(request, exc: ApiError):
        return api.create_response(
            request, error_body(exc.code, exc.message, exc.details), status=exc.status
        )

    @api.exception_handler(ValidationError)
    def on_validation_error(request, exc: ValidationError):
        details = [
            {
                "field": ".".join(str(p) for p in err.get("loc", [])[1:]),
                "message": err.get("msg", ""),
            }
            for err in exc.errors
        ]
        return api.create_response(
            request,
            error_body("invalid", _("The request is not valid."), details),
            status=422,
        )

    @api.exception_handler(AuthenticationError)
    def on_auth_error(request, exc):
        return api.create_response(
            request, error_body("unauthenticated", _("Please log in or send a valid token.")),
            status=401,
        )

    @api.exception_handler(Http404)
    def on_not_found(request, exc):
        return api.create_response(
            request, error_body("not_found", _("Not found.")), status=404
        )

    @api.exception_handler(HttpError)
    def on_http_error(request, exc: HttpError):
        if exc.status_code == 403 and "CSRF" in str(exc):
            body = error_body(
                "csrf_failed",
                _("The security token (CSRF) is missing or wrong. Reload the page and try again."),
            )
        else:
            body = error_body("error", str(exc))
        return api.create_response(request, body, status=exc.status_code)


# --- who am I ------------------------------------------------------------------------------


class UserOut(Schema):
    id: int
    username: str
    full_name: str
    kind: str
    is_city_admin: bool
    is_ioc_viewer: bool


class MeOut(Schema):
    authenticated: bool
    user: UserOut | None


class MembershipOut(Schema):
    agency_id: int
    agency_code: str
    agency_name: str
    role: str


@router.get("/me", response=MeOut, summary="The caller's account (anonymous allowed)")
def me(request):
    user = request.user
    if not user.is_authenticated:
        return {"authenticated": False, "user": None}
    return {"authenticated": True, "user": user}


@router.get(
    "/me/agencies", response=list[MembershipOut], auth=REQUIRED,
    summary="The caller's agencies and roles",
)
@paginate(PageNumberPagination)
def my_agencies(request):
    return [
        {"agency_id": m.agency_id, "agency_code": m.agency.code, "agency_name": m.agency.name,
         "role": m.role}
        for m in user_agencies(request.user)
    ]


@router.post("/me/ping", auth=REQUIRED, summary="Check that credentials (and CSRF) work")
def ping(request):
    return {"ok": True, "user_id": request.user.pk}
