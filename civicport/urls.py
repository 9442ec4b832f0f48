from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from civicport.api import api
from civicport.core import views as core_views

admin.site.site_header = _("CivicPort administration")
admin.site.site_title = _("CivicPort administration")

urlpatterns = [
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("civicport.publicservices.urls_api")),  # before the ninja API
    path("api/v1/", api.urls),
    path("thu-tuc/", include("civicport.publicservices.urls")),
    path("", include("civicport.publicservices.urls_citizen")),
    path("", include("civicport.publicservices.urls_officer")),
    path("", include("civicport.publicservices.urls_stats")),
    path("", include("civicport.feedback.urls")),
    path("", include("civicport.datahub.urls")),
    path("", include("civicport.tourism.urls")),
    path("", include("civicport.ioc.urls")),
    path("", include("civicport.core.urls")),
]

handler403 = "civicport.core.views.error_403"
handler404 = "civicport.core.views.error_404"
handler500 = "civicport.core.views.error_500"
