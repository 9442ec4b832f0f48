from django import forms
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    login = forms.CharField(
        label=_("Phone number, e-mail or username"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class RegisterForm(forms.Form):
    full_name = forms.CharField(
        label=_("Full name"), max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    login = forms.CharField(
        label=_("Phone number or e-mail"), max_length=150,
        help_text=_("You will log in with it."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"), strip=False,
        help_text=_("At least 8 characters, not only digits, not a common password."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=_("Password again"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data
