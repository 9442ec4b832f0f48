"""Writes of the ioc app: plain functions, keyword-only arguments."""
