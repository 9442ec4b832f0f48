from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from civicport.core import queries
from civicport.core.accounts import user_register
from civicport.core.auth import (
    client_address,
    login_failure_record,
    login_failures_clear,
    login_is_throttled,
)
from civicport.core.forms import LoginForm, RegisterForm


def healthz(request):
    # The framework floor for benchmarks: no database, no templates, no session.
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    return render(request, "core/home.html", {"overview": queries.home_overview()})


def _next_url(request, default="core:home"):
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        login_name = form.cleaned_data["login"]
        address = client_address(request)
        if login_is_throttled(login=login_name, address=address):
            form.add_error(
                None,
                _("Too many failed attempts. Please wait %(minutes)d minutes and try again.")
                % {"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
            )
            return render(request, "core/login.html", {"form": form}, status=429)
        user = authenticate(request, username=login_name, password=form.cleaned_data["password"])
        if user is None:
            login_failure_record(login=login_name, address=address)
            form.add_error(None, _("The login or the password is wrong."))
        else:
            login_failures_clear(login=login_name)
            login(request, user)
            return redirect(_next_url(request))
    return render(request, "core/login.html", {"form": form, "next": _next_url(request, "")})


@require_POST
def logout_view(request):
    logout(request)
    messages.info(request, _("You have logged out."))
    return redirect("core:home")


@never_cache
@require_http_methods(["GET", "POST"])
def register(request):
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = user_register(
                full_name=form.cleaned_data["full_name"],
                login=form.cleaned_data["login"],
                password=form.cleaned_data["password"],
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        else:
            login(request, user, backend="civicport.core.auth.PhoneOrEmailBackend")
            messages.success(request, _("Welcome! Your account has been created."))
            return redirect("core:home")
    return render(request, "core/register.html", {"form": form})


@login_required
def account(request):
    return render(request, "core/account.html", {"agencies": queries.user_agencies(request.user)})


def error_403(request, exception=None):
    return render(request, "errors/403.html", status=403)


def error_404(request, exception=None):
    return render(request, "errors/404.html", status=404)


def error_500(request):
    # Rendered without context processors or the database: they may be what failed.
    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)
