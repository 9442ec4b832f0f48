"""API authentication: browser session (with CSRF) or bearer token."""

from django.contrib.auth.models import AnonymousUser
from ninja.security import HttpBearer, SessionAuth

from civicport.core.auth import api_token_user


class TokenAuth(HttpBearer):
    def authenticate(self, request, token):
        user = api_token_user(token)
        if user is not None:
            request.user = user
        return user


class Anonymous:
    """Lets an endpoint run without credentials; it then checks `request.user` itself."""

    def __call__(self, request):
        # A session whose CSRF check failed lands here: it must not keep acting as its user.
        request.user = AnonymousUser()
        return True


def auth_methods(optional: bool = False) -> list:
    methods = [TokenAuth(), SessionAuth()]
    return [*methods, Anonymous()] if optional else methods


REQUIRED = auth_methods()
