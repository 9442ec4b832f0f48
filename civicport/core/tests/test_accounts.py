import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from civicport.core.accounts import user_register
from civicport.core.auth import normalize_phone
from civicport.core.models import AuditEntry, LoginFailure, User


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("84912345678", "0912345678"),
        ("091.234.5678", "0912345678"),
        ("02253123456", "02253123456"),
        ("12345", None),
        ("09123456789012", None),
        ("abc", None),
    ],
)
def test_normalize_phone(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.django_db
def test_register_with_phone_stores_normalised_login_and_audits():
    user = user_register(full_name="  Nguyễn  Văn An ", login="+84 912 345 678",
                         password="Hai-Phong-2025")
    assert (user.username, user.phone, user.email) == ("0912345678", "0912345678", "")
    assert user.full_name == "Nguyễn Văn An"
    assert user.check_password("Hai-Phong-2025")
    assert AuditEntry.objects.filter(action="user.register", object_id=str(user.pk)).count() == 1


@pytest.mark.django_db
def test_register_duplicate_phone_in_other_format_is_refused_in_vietnamese():
    user_register(full_name="A", login="0912345678", password="Hai-Phong-2025")
    with pytest.raises(ValidationError) as err:
        user_register(full_name="B", login="+84912345678", password="Hai-Phong-2025")
    assert err.value.message_dict["login"] == [
        "Đã có tài khoản dùng số điện thoại hoặc e-mail này."
    ]
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_register_duplicate_email_is_case_insensitive():
    user_register(full_name="A", login="An@Example.vn", password="Hai-Phong-2025")
    with pytest.raises(ValidationError):
        user_register(full_name="B", login="an@example.VN", password="Hai-Phong-2025")
    assert User.objects.get().email == "an@example.vn"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("12345678", "hoàn toàn là số"),
        ("abc", "quá ngắn"),
        ("password123", "quá phổ biến"),
    ],
)
def test_weak_password_refused_with_vietnamese_message(password, fragment):
    with pytest.raises(ValidationError) as err:
        user_register(full_name="A", login="a@example.vn", password=password)
    assert any(fragment in m for m in err.value.message_dict["password"])
    assert not User.objects.exists()


@pytest.mark.django_db
def test_register_rejects_bad_login():
    with pytest.raises(ValidationError) as err:
        user_register(full_name="A", login="12ab", password="Hai-Phong-2025")
    assert "login" in err.value.message_dict
    assert not User.objects.exists()


@pytest.mark.django_db
def test_register_page_creates_account_and_logs_in(client):
    response = client.post(
        reverse("core:register"),
        {"full_name": "Trần Thị Bình", "login": "binh@example.vn",
         "password": "Hai-Phong-2025", "password_again": "Hai-Phong-2025"},
    )
    assert response.status_code == 302
    assert client.get(reverse("core:account")).context["user"].email == "binh@example.vn"


@pytest.mark.django_db
def test_register_page_shows_mismatch_error_and_creates_nothing(client):
    response = client.post(
        reverse("core:register"),
        {"full_name": "A", "login": "a@example.vn", "password": "Hai-Phong-2025",
         "password_again": "Khac-2025"},
    )
    assert response.status_code == 200
    assert "Hai mật khẩu không giống nhau." in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("login_as", ["0912345678", "+84912345678", "AN@example.vn", "an"])
def test_login_with_phone_email_or_username(client, make_user, login_as):
    make_user(username="an", phone="0912345678", email="an@example.vn")
    response = client.post(reverse("core:login"), {"login": login_as, "password": "Mat-khau-2025"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


@pytest.mark.django_db
def test_login_throttled_after_repeated_failures(client, make_user, settings):
    settings.LOGIN_MAX_FAILURES_PER_ACCOUNT = 3
    make_user(username="an")
    for _ in range(3):
        response = client.post(reverse("core:login"), {"login": "an", "password": "sai"})
        assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.content.decode()
    # Now even the right password is refused until the window passes.
    response = client.post(reverse("core:login"), {"login": "an", "password": "Mat-khau-2025"})
    assert response.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in response.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_successful_login_clears_failures(client, make_user):
    make_user(username="an")
    client.post(reverse("core:login"), {"login": "an", "password": "sai"})
    assert LoginFailure.objects.count() == 1
    client.post(reverse("core:login"), {"login": "an", "password": "Mat-khau-2025"})
    assert LoginFailure.objects.count() == 0


@pytest.mark.django_db
def test_login_redirect_ignores_foreign_next(client, make_user):
    make_user(username="an")
    response = client.post(
        reverse("core:login") + "?next=https://evil.example/",
        {"login": "an", "password": "Mat-khau-2025"},
    )
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_logout_requires_post(client, make_user):
    make_user(username="an")
    client.login(username="an", password="Mat-khau-2025")
    assert client.get(reverse("core:logout")).status_code == 405
    assert client.post(reverse("core:logout")).status_code == 302
    assert "_auth_user_id" not in client.session
