"""What a submission body must be before we store it, and who it is (instance, root, record).

Pure rules shared by every path a submission takes in (webhook, pull, sweep, replay). A body
that breaks them raises `IntakeRejected`: it can never be accepted as it is, so it goes to the
dead letters with the reason. The HTTP status for each kind of refusal is the service's choice.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from core.domain.errors import PantauError
from core.domain.privacy import shown

MAX_ID_LENGTH = 80  # Submission.instance_id / root_id / deprecated_id columns
MAX_DEPTH = 20  # Kobo nests repeats in repeats; nothing real comes near this
# JSON numbers every store and reader holds exactly (SQLite's INTEGER, PostgreSQL's bigint):
# Kobo's numbers are small (`_id`, epoch seconds); every answer is a string.
MIN_INT, MAX_INT = -(2**63), 2**63 - 1


class Refusal(StrEnum):
    """Why a body can never be accepted; adapters map each kind to their own answer."""

    MALFORMED = "malformed"  # not a JSON object we can read
    UNPROCESSABLE = "unprocessable"  # readable, but not a submission we can key or place
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"


class IntakeRejected(PantauError):
    """A payload that can never be accepted as it is; it goes to the dead letters."""

    bad_input = True

    def __init__(self, reason: str, kind: Refusal = Refusal.MALFORMED) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind


def parse_json_body(body: bytes) -> dict[str, Any]:
    """Decode a webhook body as a Kobo submission dict, or raise IntakeRejected saying why."""
    if not body:
        raise IntakeRejected("empty body: expected a Kobo submission as JSON")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntakeRejected(f"body is not valid UTF-8 (byte {exc.start})") from exc
    data = loads_strict(decoded)
    if not isinstance(data, dict):
        raise IntakeRejected(
            f"body is a JSON {type(data).__name__}, expected one submission object"
        )
    check_storable(data)
    return data


def _number_refused(what: str) -> IntakeRejected:
    return IntakeRejected(f"body holds {what}; a Kobo submission never does")


def _strict_int(literal: str) -> int:
    # Checked on the literal: int() of more than 4,300 digits raises ValueError, which would
    # otherwise escape as an internal error (a 503 Kobo retries for ever).
    if len(literal.lstrip("-")) > 19 or not MIN_INT <= int(literal) <= MAX_INT:
        raise _number_refused(f"an integer of {len(literal.lstrip('-'))} digits (over 64 bits)")
    return int(literal)


def _strict_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _number_refused("a number too large for a double (it overflows to infinity)")
    return value


def _no_constant(name: str) -> Any:
    raise _number_refused(f"{name}, which is not standard JSON")


def loads_strict(text: str) -> Any:
    """Parse JSON as a submission may be: standard JSON, numbers every store can hold.

    Raises IntakeRejected (never ValueError) for what will never be acceptable.
    """
    try:
        return json.loads(
            text, parse_int=_strict_int, parse_float=_strict_float, parse_constant=_no_constant
        )
    except json.JSONDecodeError as exc:
        raise IntakeRejected(
            f"body is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "configure the REST Service with type JSON"
        ) from exc
    except RecursionError as exc:
        raise IntakeRejected("body is nested too deeply to be a Kobo submission") from exc


def check_storable(raw: Any, depth: int = 0, path: str = "") -> None:
    """Refuse what no database column can hold: NUL characters, lone surrogates, deep nesting.

    Found here, such a payload is a 4xx with a dead letter; found by the database it would be
    an error in the middle of a transaction, and a lost delivery.
    """
    if depth > MAX_DEPTH:
        raise IntakeRejected(f"submission nested deeper than {MAX_DEPTH} levels at {shown(path)}")
    if isinstance(raw, dict):
        for key, value in raw.items():
            check_storable(key, depth + 1, path)
            check_storable(value, depth + 1, f"{path}/{key}" if path else str(key))
    elif isinstance(raw, list):
        for item in raw:
            check_storable(item, depth + 1, path)
    elif isinstance(raw, str):
        if "\x00" in raw:
            raise IntakeRejected(f"answer {shown(path)} contains a NUL character")
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise IntakeRejected(f"answer {shown(path)} contains an unpaired surrogate") from exc
    elif isinstance(raw, float) and not math.isfinite(raw):  # the pull's parser allows them
        raise IntakeRejected(f"answer {shown(path)} is not a finite number")
    elif isinstance(raw, int) and not isinstance(raw, bool) and not MIN_INT <= raw <= MAX_INT:
        raise IntakeRejected(f"answer {shown(path)} is an integer over 64 bits")


def _strip_uuid(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip().removeprefix("uuid:")


def identity(raw: dict[str, Any]) -> tuple[str, str, str | None, int | None]:
    """(instance id, root id, deprecated id, server record id) of a submission dict."""
    instance = _strip_uuid(raw.get("meta/instanceID")) or _strip_uuid(raw.get("_uuid"))
    if instance is None:
        raise IntakeRejected(
            "no instance id: neither meta/instanceID nor _uuid is present "
            "(if the REST Service uses subset_fields, add _id, _uuid and meta/instanceID)",
            Refusal.UNPROCESSABLE,
        )
    root = _strip_uuid(raw.get("meta/rootUuid")) or instance
    deprecated = _strip_uuid(raw.get("meta/deprecatedID"))
    for name, value in (("instance id", instance), ("root id", root), ("deprecatedID", deprecated)):
        if value is not None and len(value) > MAX_ID_LENGTH:
            raise IntakeRejected(
                f"{name} longer than {MAX_ID_LENGTH} characters", Refusal.UNPROCESSABLE
            )
    record = raw.get("_id")
    record_id = record if isinstance(record, int) and not isinstance(record, bool) else None
    if record_id is None and isinstance(record, str) and record.isascii() and record.isdigit():
        record_id = int(record)
    if record_id is not None and not 0 < record_id < 2**63:
        raise IntakeRejected("_id is not a Kobo record id (1 to 2^63-1)", Refusal.UNPROCESSABLE)
    return instance, root, deprecated, record_id


def server_form(raw: dict[str, Any]) -> tuple[str | None, str | None]:
    """(asset uid, server version uid) a submission dict names, when they are strings."""
    asset = raw.get("_xform_id_string")
    version = raw.get("__version__")
    return (
        asset if isinstance(asset, str) else None,
        version if isinstance(version, str) else None,
    )


def parse_submission_time(raw: dict[str, Any]) -> datetime | None:
    """Kobo's `_submission_time` (UTC, no offset) as an aware datetime, else None."""
    value = raw.get("_submission_time")
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
