"""API paths served outside the ninja API (mounted before it): see `api_tracking`."""

from django.urls import path

from civicport.publicservices import api_tracking

urlpatterns = [
    path("api/v1/dossiers/track", api_tracking.track, name="dossier-track"),
]
