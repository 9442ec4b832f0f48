from django.conf import settings
from django.utils.translation import gettext as _


def site(request):
    return {
        "site_name": settings.CIVICPORT_SITE_NAME or _("Hai Phong digital government portal"),
        "demo_mode": settings.CIVICPORT_DEMO,
        "tile_url": settings.CIVICPORT_TILE_URL,
    }
