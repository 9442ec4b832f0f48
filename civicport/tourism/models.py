"""Data of the tourism app."""
