"""Pages of the tourism app. Included at the site root: this module owns its prefixes
(/am-thuc/...)."""

urlpatterns: list = []
