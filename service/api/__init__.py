"""`/api/v1/…`: the JSON API for admins, supervisors and TPPS, described by OpenAPI 3."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from service.api import admin, reads  # noqa: E402,F401  (routes register on bp)
