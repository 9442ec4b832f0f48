"""Pages of the datahub app. Included at the site root: this module owns its prefixes
(/du-lieu/...)."""

urlpatterns: list = []
