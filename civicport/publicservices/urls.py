"""Public pages of the procedure catalogue, mounted at /thu-tuc/."""

from django.urls import path

from civicport.publicservices import views

app_name = "publicservices"

urlpatterns = [
    path("", views.catalogue_list, name="catalogue"),
    path("<str:code>/", views.procedure_detail, name="procedure"),
]
