"""Forms of the publisher pages."""

from django import forms
from django.utils.translation import gettext_lazy as _

from civicport.datahub.models import LICENCES, Access, Frequency


class DatasetUploadForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    publisher = forms.ModelChoiceField(label=_("Publishing agency"), queryset=None)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 4}),
                                  required=False)
    tags = forms.CharField(label=_("Tags (comma-separated)"), required=False, max_length=500)
    access = forms.ChoiceField(label=_("Access"), choices=Access.choices, initial=Access.OPEN)
    frequency = forms.ChoiceField(label=_("Update frequency"), choices=Frequency.choices,
                                  initial=Frequency.IRREGULAR)
    licence = forms.ChoiceField(label=_("Licence"),
                                choices=[(k, v[0]) for k, v in LICENCES.items()],
                                initial="cc-by-4.0")
    file = forms.FileField(label=_("Data file (CSV, XLSX, JSON or any file)"))

    def __init__(self, *args, agencies=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publisher"].queryset = agencies

    def tag_list(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class VersionUploadForm(forms.Form):
    file = forms.FileField(label=_("Corrected or updated file"))
