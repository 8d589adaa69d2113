"""Central's answers: JSON bodies and problems such as `{"code": 404.1, "message": ...}`."""

from __future__ import annotations

import json
from typing import Any

from flask import Response


class CentralProblem(Exception):
    """An error answer in Central's shape: `{"code": 404.1, "message": ...}`."""

    def __init__(self, status: int, code: float, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def not_found() -> CentralProblem:
    """Central's 404.1."""
    return CentralProblem(404, 404.1, "Could not find the resource you were looking for.")


def problem(status: int, code: float, message: str, details: Any = None) -> Response:
    """A problem answer: `code`, `message` and, when given, `details`."""
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return Response(json.dumps(body), status=status, mimetype="application/json")


def ok(body: Any, status: int = 200) -> Response:
    """A JSON answer."""
    return Response(json.dumps(body), status=status, mimetype="application/json")


def already_exists(fields: list[str], values: list[Any]) -> CentralProblem:
    """Central's 409.3: a resource with these unique `fields` and `values` exists."""
    return CentralProblem(
        409,
        409.3,
        f"A resource already exists with {','.join(fields)} value(s) of "
        f"{','.join(str(v) for v in values)}.",
        {"fields": fields, "values": values},
    )
