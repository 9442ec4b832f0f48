from django.urls import path

from civicport.core import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("dang-nhap/", views.login_view, name="login"),
    path("dang-xuat/", views.logout_view, name="logout"),
    path("dang-ky/", views.register, name="register"),
    path("tai-khoan/", views.account, name="account"),
]
