"""The project's URLs plus the catalogue pages, until the lead mounts them in civicport.urls."""

from django.urls import include, path

urlpatterns = [
    path("thu-tuc/", include("civicport.publicservices.urls")),
    path("", include("civicport.urls")),
]
