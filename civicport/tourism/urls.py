"""Pages of the tourism app. Included at the site root: this module owns its prefixes
(/am-thuc/...)."""

from django.urls import path

from civicport.tourism import views

app_name = "tourism"

urlpatterns = [
    path("am-thuc/", views.map_page, name="map"),
    path("am-thuc/qr.<str:kind>", views.map_qr, name="map_qr"),
    path("am-thuc/dia-diem/<int:pk>/", views.venue_page, name="venue"),
    path("am-thuc/dia-diem/<int:pk>/danh-gia/", views.review_post, name="review"),
    path("am-thuc/dia-diem/<int:pk>/qr.<str:kind>", views.venue_qr, name="venue_qr"),
    path("am-thuc/dia-diem/<int:pk>/poster.pdf", views.venue_poster, name="poster"),
    path("am-thuc/danh-gia/<int:pk>/bao-cao/", views.review_flag, name="review_flag"),
    path("am-thuc/danh-gia/<int:pk>/tra-loi/", views.review_reply, name="review_reply"),
    path("am-thuc/tour/<slug:slug>/", views.tour_page, name="tour"),
    path("am-thuc/anh/<int:pk>/", views.photo_file, name="photo"),
    path("am-thuc/gio-mo-cua/xem-truoc/", views.hours_preview, name="hours_preview"),
    path("am-thuc/du-lieu/dia-diem.<str:kind>", views.open_data, name="open_data"),
    path("am-thuc/quan-ly/", views.manage, name="manage"),
    path("am-thuc/quan-ly/xuat.<str:kind>", views.export, name="export"),
    path("am-thuc/quan-ly/them/", views.venue_edit, name="venue_new"),
    path("am-thuc/quan-ly/<int:pk>/", views.venue_edit, name="venue_edit"),
    path("am-thuc/quan-ly/<int:pk>/anh/", views.photo_upload, name="photo_upload"),
    path("am-thuc/quan-ly/kiem-duyet/", views.moderation, name="moderation"),
]
