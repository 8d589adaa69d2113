"""An ODK Central submission (OData JSON) in Kobo's submission-dict shape.

The pull of Central stores through the same door as Kobo's records, so one intake (and
one set of facts rules) serves both servers.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from core.clients.central import CentralSubmission


def central_to_kobo_dict(sub: CentralSubmission, form_id: str) -> dict[str, Any]:
    """Flatten a Central OData row into Kobo's submission-dict shape, so one intake serves both."""
    out: dict[str, Any] = {}
    _flatten(sub.data, "", out)
    out["meta/instanceID"] = sub.instance_id
    out["meta/rootUuid"] = sub.id
    out["_xform_id_string"] = form_id
    if sub.form_version:
        out["__version__"] = sub.form_version
    submitted = sub.submission_date
    if submitted.tzinfo is not None:
        submitted = submitted.astimezone(UTC)
    out["_submission_time"] = submitted.strftime("%Y-%m-%dT%H:%M:%S")  # Kobo's shape: UTC
    return out


def _flatten(node: dict[str, Any], prefix: str, into: dict[str, Any]) -> None:
    for key, value in node.items():
        if key.startswith("__") or key.startswith("@"):
            continue
        path = f"{prefix}{key}"
        if (geo := _odk_geo(value)) is not None:
            # Before the group test: a GeoJSON answer is a dict too, and flattened as a group
            # it would lose its coordinates.
            into[path] = geo
        elif isinstance(value, dict):
            _flatten(value, path + "/", into)
        elif isinstance(value, list):
            rows = [_flattened_row(item, path) for item in value]
            if any(rows):
                into[path] = [r for r in rows if r]
        elif value is None or value == "":
            continue  # unanswered: absent, as Kobo sends it
        elif isinstance(value, bool):
            into[path] = "true" if value else "false"
        else:
            into[path] = _central_scalar(value)


def _flattened_row(item: Any, path: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if isinstance(item, dict):
        _flatten(item, path + "/", row)
    return row


def _central_scalar(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _odk_geo(value: Any) -> str | None:
    """A GeoJSON answer (geopoint, geotrace, geoshape) as ODK's text, the shape Kobo sends.

    Central answers these as GeoJSON, longitude first; ODK's text (what Kobo and the facts
    read) is "latitude longitude altitude accuracy", points of a trace or shape joined by ";".
    """
    if not isinstance(value, dict) or not isinstance(coords := value.get("coordinates"), list):
        return None
    kind = value.get("type")
    try:
        if kind == "Point":
            props = value.get("properties") or {}
            return _odk_point(coords, props.get("accuracy") if isinstance(props, dict) else None)
        if kind == "LineString":
            return ";".join(_odk_point(c) for c in coords)
        if kind == "Polygon" and coords:
            return ";".join(_odk_point(c) for c in coords[0])  # the outer ring, already closed
    except (TypeError, ValueError):
        pass  # not GeoJSON after all: kept as the group it looks like
    return None


def _odk_point(coords: list[Any], accuracy: Any = None) -> str:
    lon, lat, *rest = coords
    if accuracy is not None:
        # Accuracy is ODK's fourth part: without an altitude, 0 holds its place.
        rest = [rest[0] if rest else 0, accuracy]
    return " ".join(_central_scalar(float(v)) for v in [lat, lon, *rest])
