"""Writes of the datahub app: plain functions, keyword-only arguments."""
