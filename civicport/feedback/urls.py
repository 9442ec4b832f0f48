"""Pages of the feedback app. Included at the site root: this module owns its prefixes
(/phan-anh/... and /open311/v2/...)."""

from django.urls import path, re_path

from civicport.feedback import open311, views, views_officer

app_name = "feedback"

urlpatterns = [
    path("phan-anh/", views.index, name="index"),
    path("phan-anh/gui/", views.report_new, name="new"),
    path("phan-anh/ban-do/", views.map_page, name="map"),
    path("phan-anh/ban-do/du-lieu.json", views.map_data, name="map_data"),
    path("phan-anh/thong-ke/", views.stats, name="stats"),
    path("phan-anh/goi-y.json", views.suggest, name="suggest"),
    path("phan-anh/sms/", views.sms_webhook, name="sms"),
    path("phan-anh/anh/<str:name>", views.photo, name="photo"),
    path("phan-anh/<int:report_id>/", views.report_detail, name="report"),
    path("phan-anh/<int:report_id>/danh-gia/", views.report_rate, name="rate"),
    path("phan-anh/<int:report_id>/mo-lai/", views.report_reopen, name="reopen"),
    path("phan-anh/<int:report_id>/bo-sung/", views.report_info, name="info"),
    path("phan-anh/<int:report_id>/theo-doi/", views.report_follow, name="follow"),
    path("phan-anh/can-bo/", views_officer.inbox, name="inbox"),
    path("phan-anh/can-bo/tiep-nhan/", views_officer.phone_intake, name="phone"),
    path("phan-anh/can-bo/<int:report_id>/", views_officer.desk, name="desk"),
    path("phan-anh/can-bo/<int:report_id>/<str:action>/", views_officer.act, name="act"),
    path("open311/v2/", open311.root, name="open311_root"),
    re_path(r"^open311/v2/discovery\.(?P<fmt>\w+)$", open311.discovery, name="o311_discovery"),
    re_path(r"^open311/v2/services\.(?P<fmt>\w+)$", open311.services, name="o311_services"),
    re_path(r"^open311/v2/services/(?P<code>[\w-]+)\.(?P<fmt>\w+)$", open311.service_definition,
            name="o311_service"),
    re_path(r"^open311/v2/requests\.(?P<fmt>\w+)$", open311.requests_view, name="o311_requests"),
    re_path(r"^open311/v2/requests/(?P<request_id>[\w-]+)\.(?P<fmt>\w+)$",
            open311.request_detail, name="o311_request"),
    re_path(r"^open311/v2/tokens/(?P<token>[\w-]+)\.(?P<fmt>\w+)$", open311.token_detail,
            name="o311_token"),
    re_path(r"^open311/v2/servicerequestupdates\.(?P<fmt>\w+)$", open311.updates,
            name="o311_updates"),
]
