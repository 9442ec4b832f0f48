"""Officers' statistics: the page and its Excel export, mounted at the site root."""

from django.urls import path

from civicport.publicservices import views_stats

app_name = "stats"

urlpatterns = [
    path("can-bo/thong-ke/", views_stats.stats_page, name="page"),
    path("can-bo/thong-ke/xuat.xlsx", views_stats.stats_export, name="export"),
]
