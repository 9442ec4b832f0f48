"""Writes of the feedback app: plain functions, keyword-only arguments."""
