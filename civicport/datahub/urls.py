"""Pages of the datahub app. Included at the site root: this module owns its prefixes
(/du-lieu/..., the CKAN Action API at /api/3/action/ and /api/action/, and the DCAT
documents at /catalog.<fmt> and /dataset/<id>.<fmt> as ckanext-dcat names them)."""

from django.urls import path, re_path

from civicport.datahub import ckan, views

app_name = "datahub"

RDF = r"(?P<fmt>ttl|jsonld|rdf|xml)"

urlpatterns = [
    path("api/3/action/<str:name>", ckan.action, name="ckan-action"),
    path("api/action/<str:name>", ckan.action, name="ckan-action-unversioned"),
    re_path(rf"^catalog\.{RDF}$", views.catalogue_rdf, name="catalog-rdf-root"),
    re_path(rf"^dataset/(?P<slug>[^/]+)\.{RDF}$", views.dataset_rdf, name="dataset-rdf-root"),
    path("du-lieu/", views.catalogue, name="catalogue"),
    path("du-lieu/dang-tai/", views.upload_page, name="upload"),
    path("du-lieu/bang-dieu-khien/", views.dashboard, name="dashboard"),
    path("du-lieu/tai-len/<int:job_id>/", views.job_page, name="job"),
    re_path(rf"^du-lieu/catalog\.{RDF}$", views.catalogue_rdf, name="catalog-rdf"),
    re_path(rf"^du-lieu/(?P<slug>[a-z0-9_-]+)\.{RDF}$", views.dataset_rdf, name="dataset-rdf"),
    path("du-lieu/<slug:slug>/", views.dataset_page, name="dataset"),
    path("du-lieu/<slug:slug>/tai-nguyen/<uuid:resource_id>/tai-len/", views.version_upload,
         name="version-upload"),
    path("du-lieu/<slug:slug>/tai-nguyen/<uuid:resource_id>/tai-ve", views.download,
         name="download"),
    re_path(r"^du-lieu/(?P<slug>[a-z0-9_-]+)/tai-nguyen/(?P<resource_id>[0-9a-f-]{36})/"
            r"tai-ve\.(?P<fmt>csv|json|xlsx|parquet)$", views.download, name="download-as"),
]
