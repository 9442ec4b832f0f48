"""Reads of the ioc app, for its views and APIs and for other apps (the IOC)."""
