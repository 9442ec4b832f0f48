"""CivicPort: digital-government platform for Vietnamese cities."""

__version__ = "0.1.0"
