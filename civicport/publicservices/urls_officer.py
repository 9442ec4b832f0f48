"""Officer pages (cán bộ), mounted at the site root by civicport.urls: paths under /can-bo/."""

from django.urls import path, re_path

from civicport.publicservices import views_officer as views

app_name = "officer"

urlpatterns = [
    path("can-bo/", views.home, name="home"),
    path("can-bo/ho-so/", views.inbox, name="inbox"),
    path("can-bo/ho-so/<int:pk>/", views.dossier_desk, name="dossier"),
    path("can-bo/ho-so/<int:pk>/thao-tac/<slug:slug>/", views.dossier_act, name="act"),
    path("can-bo/ho-so/<int:pk>/tep/<int:file_pk>/", views.dossier_file, name="file"),
    re_path(
        r"^can-bo/ho-so/(?P<pk>[0-9]+)/mau/(?P<form>0[1-4])\.pdf$", views.dossier_notice,
        name="notice",
    ),
    path("can-bo/tiep-nhan/moi/", views.register, name="register"),
]
