"""Core endpoints of /api/v1/ and the API-wide error format.

Every error, whatever raised it, is `{"error": {"code", "message", "details"}}` with the
message in the request's language.
"""

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

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
        return api.create_response(
            request, error_body("error", str(exc)), status=exc.status_code
        )
