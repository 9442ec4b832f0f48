"""Reads of the feedback app, for its views and APIs and for other apps (the IOC)."""
