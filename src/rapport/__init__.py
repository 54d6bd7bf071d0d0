"""Rapport: an open-source Social CRM."""

__version__ = "0.1.0"
