"""Reads of the tourism app, for its views and APIs and for other apps (the IOC)."""
