"""Citizen pages, included at the site root: the patterns carry their full Vietnamese paths."""

from django.urls import path

from civicport.publicservices import views_citizen as views

app_name = "citizen"

urlpatterns = [
    path("thu-tuc/<str:code>/nop/", views.apply, name="apply"),
    path("ho-so-cua-toi/", views.dossier_list, name="dossiers"),
    path("ho-so-cua-toi/<int:pk>/", views.dossier_detail, name="dossier"),
    path("ho-so-cua-toi/<int:pk>/sua/", views.edit, name="edit"),
    path("ho-so-cua-toi/<int:pk>/xem-lai/", views.preview, name="preview"),
    path("ho-so-cua-toi/<int:pk>/nop/", views.submit, name="submit"),
    path("ho-so-cua-toi/<int:pk>/bo-sung/", views.supply, name="supply"),
    path("ho-so-cua-toi/<int:pk>/danh-gia/", views.rate, name="rate"),
    path("ho-so-cua-toi/<int:pk>/rut/", views.withdraw, name="withdraw"),
    path("ho-so-cua-toi/<int:pk>/giay-tiep-nhan.pdf", views.receipt, name="receipt"),
    path("ho-so-cua-toi/<int:pk>/tep/<int:file_pk>/", views.dossier_file, name="dossier_file"),
    path("tra-cuu/", views.tracking, name="tracking"),
    path("phuong-xa/", views.ward_choices_fragment, name="ward_choices"),
]
