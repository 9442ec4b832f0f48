"""Pages of the ioc app. Included at the site root: this module owns its prefixes
(/dieu-hanh/...)."""

from django.urls import path, re_path

from civicport.ioc import views, views_reports, views_tasks

app_name = "ioc"

urlpatterns = [
    path("dieu-hanh/", views.public_page, name="public"),
    path("dieu-hanh/tuong/", views.wall_page, name="wall"),
    path("dieu-hanh/tuong/noi-dung/", views.wall_content, name="wall_content"),
    path("dieu-hanh/tuong/lam-moi/", views.wall_refresh, name="wall_refresh"),
    path("dieu-hanh/don-vi/", views.agencies_page, name="agencies"),
    path("dieu-hanh/don-vi/<str:code>/", views.agency_page, name="agency"),
    path("dieu-hanh/phuong-xa/", views.wards_page, name="wards"),
    path("dieu-hanh/thang/", views.months_page, name="months"),
    path("dieu-hanh/chi-so/", views.indicators_page, name="indicators"),
    path("dieu-hanh/dti/", views.dti_page, name="dti"),
    path("dieu-hanh/dti/<str:code>/trong-so/", views.dti_weights, name="dti_weights"),
    path("dieu-hanh/bao-cao/ky/<int:pk>/dong/", views_reports.period_close,
         name="report_period_close"),
    path("dieu-hanh/bao-cao/", views_reports.board_page, name="reports"),
    path("dieu-hanh/bao-cao/<slug:code>/nop/", views_reports.submit_page, name="report_submit"),
    path("dieu-hanh/bao-cao/<slug:code>/mau.xlsx", views_reports.report_template_download,
         name="report_template"),
    path("dieu-hanh/bao-cao/<slug:code>/lich-su/<str:agency>/", views_reports.history_page,
         name="report_history"),
    re_path(r"^dieu-hanh/bao-cao-dinh-ky/(?P<kind>tuan|thang)/(?P<key>[0-9W-]{4,8})\."
            r"(?P<fmt>pdf|xlsx)$", views_reports.periodic_download, name="periodic"),
    path("dieu-hanh/nhiem-vu/", views_tasks.tasks_page, name="tasks"),
    path("dieu-hanh/nhiem-vu/xuat.xlsx", views_tasks.tasks_export, name="tasks_export"),
    path("dieu-hanh/nhiem-vu/nhap/", views_tasks.tasks_import, name="tasks_import"),
    path("dieu-hanh/nhiem-vu/<int:pk>/", views_tasks.task_page, name="task"),
    path("dieu-hanh/nhiem-vu/<int:pk>/minh-chung/<int:evidence_pk>/",
         views_tasks.evidence_download, name="evidence"),
]
