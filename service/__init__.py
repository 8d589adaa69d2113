"""The Flask web service: webhook, admin API, dashboard, health."""

from service.app import create_app

__all__ = ["create_app"]
