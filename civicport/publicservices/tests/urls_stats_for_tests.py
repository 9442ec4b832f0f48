"""The project's URLs plus the statistics pages, until the lead mounts them in civicport.urls."""

from django.urls import include, path

urlpatterns = [
    path("", include("civicport.publicservices.urls_stats")),
    path("", include("civicport.urls")),
]
