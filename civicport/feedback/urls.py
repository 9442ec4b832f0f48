"""Pages of the feedback app. Included at the site root: this module owns its prefixes
(/phan-anh/...)."""

urlpatterns: list = []
