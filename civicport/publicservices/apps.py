from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicServicesConfig(AppConfig):
    name = "civicport.publicservices"
    label = "publicservices"
    verbose_name = _("Online public services")
