"""Pages of the ioc app. Included at the site root: this module owns its prefixes
(/dieu-hanh/...)."""

urlpatterns: list = []
