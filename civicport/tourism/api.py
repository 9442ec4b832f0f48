"""The tourism app's part of /api/v1/ (mounted at /api/v1/tourism/ by civicport/api.py)."""

from ninja import Router

router = Router(tags=["tourism"])
