"""Request id + structured request log, and the Content-Security-Policy header."""

import logging
import re
import time
import uuid

from django.conf import settings
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.utils import translation

request_log = logging.getLogger("civicport.request")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestLogMiddleware:
    """Gives every request an id (kept from a proxy's X-Request-ID when sane) and logs it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        user = getattr(request, "user", None)
        request_log.info(
            "request",
            extra={
                "request_id": request.id,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": user.pk if user is not None and user.is_authenticated else None,
            },
        )
        return response


# No inline scripts or styles anywhere: htmx and our JS are files under /static/.
# Map tiles are the one external source; the tile host is a setting (see docs).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: {tiles}; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        tiles = getattr(settings, "CIVICPORT_TILE_HOSTS", "")
        self.header = CSP.format(tiles=tiles)
        # Swagger UI (served from our own static files) sets inline styles.
        self.docs_header = self.header.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")

    def __call__(self, request):
        response = self.get_response(request)
        header = self.docs_header if request.path.endswith("/docs") else self.header
        response.headers.setdefault("Content-Security-Policy", header)
        return response


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Vietnamese first: pages speak Vietnamese unless the visitor chose English.

    Many Vietnamese phones run an English system language, so a browser's
    Accept-Language says little about what a citizen reads best; the language switch
    (a cookie) decides. API clients do set Accept-Language on purpose: it is honoured.
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        language = chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
