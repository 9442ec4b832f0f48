"""Data of the datahub app."""
