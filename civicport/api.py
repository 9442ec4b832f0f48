"""The JSON API at /api/v1/: each app's ninja Router is mounted here.

Separate NinjaAPI instances serve the standards we implement (Open311, CKAN), since
those have their own envelopes and error formats.
"""

from ninja import NinjaAPI

from civicport.core.api import ApiError, install_error_handlers
from civicport.core.api import router as core_router
from civicport.core.api_auth import auth_methods
from civicport.core.api_calendar import router as calendar_router
from civicport.core.api_units import router as units_router
from civicport.datahub.api import router as datahub_router
from civicport.feedback.api import router as feedback_router
from civicport.ioc.api import router as ioc_router
from civicport.publicservices.api import router as publicservices_router
from civicport.publicservices.api_dossiers import router as dossiers_router
from civicport.tourism.api import router as tourism_router

api = NinjaAPI(
    title="CivicPort API",
    version="1",
    description=(
        "API of the CivicPort digital-government platform. Authenticate with a session "
        "cookie (browser) or `Authorization: Bearer <token>` (`civicport token create`)."
    ),
    urls_namespace="api-v1",
    auth=auth_methods(optional=True),
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/calendar/", calendar_router)
api.add_router("/units/", units_router)
api.add_router("/publicservices/", publicservices_router)
api.add_router("/dossiers/", dossiers_router)
api.add_router("/feedback/", feedback_router)
api.add_router("/datahub/", datahub_router)
api.add_router("/tourism/", tourism_router)
api.add_router("/ioc/", ioc_router)

__all__ = ["ApiError", "api"]
