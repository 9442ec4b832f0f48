"""Forms of the tourism pages: they parse input; the rules live in actions and queries."""

from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicport.core.models import Ward
from civicport.tourism import hours
from civicport.tourism.queries import PlaceFilters

RATING_CHOICES = [("", _("Any rating")), ("3", "3+ ★"), ("4", "4+ ★"), ("4.5", "4,5+ ★")]
PRICE_CHOICES = [("", _("Any price")), ("1", _("Under 50,000 đ")),
                 ("2", _("50,000–150,000 đ")), ("3", _("150,000–300,000 đ")),
                 ("4", _("From 300,000 đ"))]
WHEN_CHOICES = [("", _("Any time")), ("now", _("Open now")), ("at", _("Open at…"))]


def parse_moment(text: str) -> datetime | None:
    """An ISO 8601 moment; without a zone it is Hải Phòng time."""
    try:
        moment = datetime.fromisoformat(str(text).strip())
    except ValueError:
        return None
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=hours.TIMEZONE)
    return moment


class FilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, label=_("Dish or venue"))
    dish = forms.CharField(required=False, max_length=100, label=_("Dish"))
    ward = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label=_("Ward"))
    price = forms.TypedChoiceField(required=False, choices=PRICE_CHOICES, coerce=int,
                                   empty_value=None, label=_("Price"))
    rating = forms.TypedChoiceField(required=False, choices=RATING_CHOICES, coerce=float,
                                    empty_value=None, label=_("Rating"))
    when = forms.ChoiceField(required=False, choices=WHEN_CHOICES, label=_("Opening"))
    at = forms.CharField(required=False, max_length=40, label=_("Date and time"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("when", "price", "rating", "ward"):
            self.fields[name].widget.attrs["class"] = "tourism-filter"
        self.fields["ward"].choices = [("", _("All wards"))] + [
            (w.pk, w.name) for w in Ward.objects.filter(venues__is_published=True).distinct()
            .order_by("name")]

    def clean(self):
        data = super().clean()
        if data.get("when") == "at":
            moment = parse_moment(data.get("at") or "")
            if moment is None:
                self.add_error("at", _("Give a date and time, e.g. 2026-02-17T19:00."))
            data["moment"] = moment
        elif data.get("when") == "now":
            data["moment"] = timezone.now()
        return data

    def filters(self) -> PlaceFilters:
        # A bad field (say, an unreadable time) is shown as an error; the others still apply.
        if not self.is_bound:
            return PlaceFilters()
        self.is_valid()
        data = self.cleaned_data
        return PlaceFilters(q=data.get("q") or "", dish=data.get("dish") or "",
                            ward=data.get("ward"), price_level=data.get("price"),
                            min_rating=data.get("rating"), open_at=data.get("moment"))


class ReviewForm(forms.Form):
    rating = forms.TypedChoiceField(choices=[(i, f"{i} ★") for i in range(5, 0, -1)],
                                    coerce=int, label=_("Your rating"), widget=forms.RadioSelect)
    text = forms.CharField(required=False, max_length=2000, widget=forms.Textarea(
        attrs={"rows": 4}), label=_("Your review"),
        help_text=_("Phone numbers and e-mail addresses are removed."))


class ReplyForm(forms.Form):
    reply = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                            label=_("Reply"))


class FlagForm(forms.Form):
    reason = forms.CharField(required=False, max_length=300, label=_("Why?"))


class ModerateForm(forms.Form):
    decision = forms.ChoiceField(choices=[("hide", _("Hide")), ("restore", _("Restore"))])
    reason = forms.CharField(required=False, max_length=300)


class VenueForm(forms.Form):
    name = forms.CharField(max_length=200, label=_("Name"))
    address = forms.CharField(max_length=300, label=_("Address (number and street)"))
    ward = forms.TypedChoiceField(coerce=int, label=_("Ward"))
    lat = forms.FloatField(label=_("Latitude"))
    lon = forms.FloatField(label=_("Longitude"))
    opening_hours = forms.CharField(
        required=False, max_length=500, label=_("Opening hours (OpenStreetMap syntax)"),
        help_text=_("For example: Mo-Fr 06:00-22:00; Sa,Su 07:00-23:00; PH off"))
    dishes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), label=_("Dishes and prices"),
        help_text=_("One per line: name: price in VND, e.g. Bánh đa cua: 35000"))
    tags = forms.CharField(required=False, max_length=300, label=_("Tags (comma-separated)"))
    phone = forms.CharField(required=False, max_length=20, label=_("Phone number"))
    website = forms.URLField(required=False, assume_scheme="https", label=_("Website"))
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}),
                                  label=_("Description"))
    is_published = forms.BooleanField(required=False, initial=True, label=_("Published"))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ward"].choices = [(w.pk, w.name) for w in Ward.objects.order_by("name")]

    def data_for_action(self) -> dict:
        data = dict(self.cleaned_data)
        dishes = []
        for line in (data.pop("dishes") or "").splitlines():
            if line.strip():
                name, _sep, price = line.rpartition(":")
                dishes.append({"name": name or price, "price": price if name else ""})
        data["dishes"] = dishes
        data.pop("version", None)
        return data


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Photo (JPEG, PNG or WebP, at most 5 MB)"))
    caption = forms.CharField(required=False, max_length=200, label=_("Caption"))


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel (.xlsx) or CSV file"))
