"""Reads of the datahub app, for its views and APIs and for other apps (the IOC)."""
