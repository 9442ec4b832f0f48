"""Data of the ioc app."""
