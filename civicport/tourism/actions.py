"""Writes of the tourism app: plain functions, keyword-only arguments."""
