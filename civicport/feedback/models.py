"""Data of the feedback app."""
