"""Messages Django itself shows whose Vietnamese translation Django lacks.

Django 5.2 changed the password-length message; its Vietnamese catalogue still has the
old wording. Marking the new strings here puts them in our catalogue, which Django
consults first (LOCALE_PATHS), so citizens never see an English error.
"""

from django.utils.translation import ngettext_lazy

DJANGO_MESSAGES = [
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
        "min_length",
    ),
]
