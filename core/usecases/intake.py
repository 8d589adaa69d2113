"""Store every submission exactly once, whichever path brought it; edits, deletions, dead letters.

The webhook, the pull, the sweep and `pantau intake replay` all call `ingest()`. A submission is
keyed by its instance id; versions of one record (same server `_id`, or same root instance id)
form a chain through `meta/deprecatedID`, and exactly one row of a chain is `is_latest`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.domain.errors import PantauError
from core.domain.privacy import pseudonymise, redact_bytes
from core.store.db import advisory_lock
from core.store.models import DeadLetter, FormVersion, Publication, Submission, utcnow

Outcome = Literal["created", "duplicate"]


class IntakeRejected(PantauError):
    """A payload that can never be accepted as it is; it goes to the dead letters."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class FormRef:
    """Which of our forms (and which built version) a server's asset/version maps to."""

    form_id: str | None
    form_version_id: int | None
    version_known: bool


@dataclass(frozen=True)
class IngestResult:
    """What ingest() did: a new row (or not), and whether it needs processing."""

    outcome: Outcome
    submission_id: int
    is_latest: bool
    # The record's current version when it waits to be processed (usually the new row; an
    # older row when the new one made it current again), else None.
    process_id: int | None = None

    @property
    def needs_processing(self) -> bool:
        """Whether something must now be processed (see process_id)."""
        return self.process_id is not None


# -- parsing a body ------------------------------------------------------------------------------


def parse_json_body(body: bytes) -> dict[str, Any]:
    """Decode a webhook body as a Kobo submission dict, or raise IntakeRejected saying why."""
    if not body:
        raise IntakeRejected("empty body: expected a Kobo submission as JSON")
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IntakeRejected(f"body is not valid UTF-8 (byte {exc.start})") from exc
    try:
        data = json.loads(decoded)
    except json.JSONDecodeError as exc:
        raise IntakeRejected(
            f"body is not JSON ({exc.msg} at line {exc.lineno} column {exc.colno}); "
            "configure the REST Service with type JSON"
        ) from exc
    except RecursionError as exc:
        raise IntakeRejected("body is nested too deeply to be a Kobo submission") from exc
    if not isinstance(data, dict):
        raise IntakeRejected(
            f"body is a JSON {type(data).__name__}, expected one submission object"
        )
    check_storable(data)
    return data


MAX_ID_LENGTH = 80  # Submission.instance_id / root_id / deprecated_id columns
MAX_DEPTH = 20  # Kobo nests repeats in repeats; nothing real comes near this


def check_storable(raw: Any, depth: int = 0, path: str = "") -> None:
    """Refuse what no database column can hold: NUL characters, lone surrogates, deep nesting.

    Found here, such a payload is a 4xx with a dead letter; found by the database it would be
    an error in the middle of a transaction, and a lost delivery.
    """
    if depth > MAX_DEPTH:
        raise IntakeRejected(f"submission nested deeper than {MAX_DEPTH} levels at {path!r}")
    if isinstance(raw, dict):
        for key, value in raw.items():
            check_storable(key, depth + 1, path)
            check_storable(value, depth + 1, f"{path}/{key}" if path else str(key))
    elif isinstance(raw, list):
        for item in raw:
            check_storable(item, depth + 1, path)
    elif isinstance(raw, str):
        if "\x00" in raw:
            raise IntakeRejected(f"answer {path!r} contains a NUL character")
        try:
            raw.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise IntakeRejected(f"answer {path!r} contains an unpaired surrogate") from exc
    elif isinstance(raw, float) and raw != raw:  # NaN
        raise IntakeRejected(f"answer {path!r} is NaN")


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
            status=422,
        )
    root = _strip_uuid(raw.get("meta/rootUuid")) or instance
    deprecated = _strip_uuid(raw.get("meta/deprecatedID"))
    for name, value in (("instance id", instance), ("root id", root), ("deprecatedID", deprecated)):
        if value is not None and len(value) > MAX_ID_LENGTH:
            raise IntakeRejected(f"{name} longer than {MAX_ID_LENGTH} characters", status=422)
    record = raw.get("_id")
    record_id = record if isinstance(record, int) and not isinstance(record, bool) else None
    if record_id is None and isinstance(record, str) and record.isascii() and record.isdigit():
        record_id = int(record)
    if record_id is not None and not 0 < record_id < 2**63:
        raise IntakeRejected(f"_id {record!r} is not a Kobo record id", status=422)
    return instance, root, deprecated, record_id


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


# -- form mapping ---------------------------------------------------------------------------------


def resolve_form(
    session: Session, server: str, asset_uid: str | None, version: str | None
) -> FormRef:
    """Map a server asset uid and version uid to our form and form version via publications."""
    if not asset_uid:
        return FormRef(None, None, False)
    # A publication, once recorded, never changes or goes away, so a version we know is cached
    # for the life of the process (the webhook would otherwise join on every delivery).
    # Unknown ones are looked up every time: they may be published a minute from now.
    key = (str(session.get_bind().url), server, asset_uid, version)
    ref = _KNOWN_FORMS.get(key)
    if ref is None:
        ref = _resolve_form(session, server, asset_uid, version)
        if ref.version_known and len(_KNOWN_FORMS) < 10_000:
            _KNOWN_FORMS[key] = ref
    return ref


_KNOWN_FORMS: dict[tuple[str, str, str, str | None], FormRef] = {}


def _resolve_form(session: Session, server: str, asset_uid: str, version: str | None) -> FormRef:
    rows = session.execute(
        select(Publication.server_version_id, FormVersion.id, FormVersion.form_id)
        .join(FormVersion, Publication.form_version_id == FormVersion.id)
        .where(Publication.server == server, Publication.server_form_id == asset_uid)
        .order_by(Publication.id.desc())
    ).all()
    if not rows:
        return FormRef(None, None, False)
    form_id = rows[0].form_id
    for server_version, fv_id, _ in rows:
        if version and server_version == version:
            return FormRef(form_id, fv_id, True)
    return FormRef(form_id, None, False)


def known_asset(session: Session, server: str, asset_uid: str | None) -> bool:
    """Whether we ever published a form as this asset."""
    return resolve_form(session, server, asset_uid, None).form_id is not None


# -- storing ---------------------------------------------------------------------------------------


def _lock_record(session: Session, key: str) -> None:
    # Two versions of one record may arrive at once (webhook retry carrying an edit while the
    # sweep fetches it): they must see each other when choosing the current version.
    advisory_lock(session, "record:" + key)


def _family_filter(server: str, asset_uid: str | None, root: str, record_id: int | None):  # noqa: ANN202
    same_root = Submission.root_id == root
    cond = or_(same_root, Submission.record_id == record_id) if record_id is not None else same_root
    return (Submission.server == server) & (Submission.asset_uid == asset_uid) & cond


def _choose_latest(rows: list[Submission]) -> Submission:
    # The current version is the one no other version deprecates. With a gap in the chain (an
    # intermediate edit never reached us) several qualify: an edit beats the original, and
    # between edits the one received last wins.
    deprecated = {r.deprecated_id for r in rows if r.deprecated_id}
    heads = [r for r in rows if r.instance_id not in deprecated and r.status != "deleted"]
    if not heads:
        heads = [r for r in rows if r.status != "deleted"] or rows
    return max(heads, key=lambda r: (r.deprecated_id is not None, r.id))


@lru_cache(maxsize=2)
def _insert_statement(dialect: str):  # noqa: ANN202
    # Built once per dialect and executed with parameters: building an INSERT … ON CONFLICT
    # per submission cost more than running it.
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    columns = [
        "instance_id",
        "root_id",
        "deprecated_id",
        "record_id",
        "server",
        "source",
        "asset_uid",
        "form_id",
        "form_version_id",
        "server_version",
        "version_known",
        "raw",
        "submitted_at",
        "received_at",
        "status",
        "is_latest",
        "process_count",
    ]
    return (
        insert(Submission)
        .values({c: bindparam(c, type_=Submission.__table__.c[c].type) for c in columns})
        .on_conflict_do_nothing(index_elements=[Submission.instance_id])
        .returning(Submission.id)
    )


def ingest(
    session: Session,
    raw: dict[str, Any],
    *,
    source: str,
    secret: bytes,
    server: str = "kobo",
    require_known_form: bool = True,
) -> IngestResult:
    """Store one submission dict exactly once and keep its record's version chain consistent.

    Identifying answers (KK/NIK) are pseudonymised with `secret` before anything is stored.
    Raises IntakeRejected for a payload that can never be stored (no instance id, unknown form).
    Does not commit: the caller's unit of work does.
    """
    check_storable(raw)  # the pull and replay paths did not go through parse_json_body
    raw = pseudonymise(raw, secret)
    instance, root, deprecated, record_id = identity(raw)
    asset_uid = (
        raw.get("_xform_id_string") if isinstance(raw.get("_xform_id_string"), str) else None
    )
    version = raw.get("__version__") if isinstance(raw.get("__version__"), str) else None
    ref = resolve_form(session, server, asset_uid, version)
    if require_known_form and ref.form_id is None:
        raise IntakeRejected(
            f"unknown form: asset {asset_uid!r} was never published through Pantau"
            if asset_uid
            else "unknown form: the submission has no _xform_id_string",
            status=422,
        )

    _lock_record(session, f"{server}:{asset_uid}:{record_id if record_id is not None else root}")
    params = {
        "instance_id": instance,
        "root_id": root,
        "deprecated_id": deprecated,
        "record_id": record_id,
        "server": server,
        "source": source,
        "asset_uid": asset_uid,
        "form_id": ref.form_id,
        "form_version_id": ref.form_version_id,
        "server_version": version,
        "version_known": ref.version_known,
        "raw": raw,
        "submitted_at": parse_submission_time(raw),
        "received_at": utcnow(),
        "status": "received",
        # Optimistic: a new record is its own current version; the chain check below corrects
        # it in the rare case of an older version arriving late.
        "is_latest": True,
        "process_count": 0,
    }
    stmt = _insert_statement(session.get_bind().dialect.name)
    new_id = session.execute(stmt, params).scalar_one_or_none()
    if new_id is None:
        existing = session.execute(
            select(Submission.id, Submission.is_latest).where(Submission.instance_id == instance)
        ).one()
        return IngestResult("duplicate", existing.id, existing.is_latest)

    family = list(
        session.scalars(
            select(Submission).where(_family_filter(server, asset_uid, root, record_id))
        )
    )
    latest = _choose_latest(family)
    for row in family:
        should_be_latest = row.id == latest.id
        if row.is_latest != should_be_latest:
            row.is_latest = should_be_latest
            if not should_be_latest and row.status in ("received", "processed", "failed"):
                row.status = "superseded"
    if latest.id != new_id:
        # An older version arriving late (e.g. the webhook after the sweep fetched the edit).
        new_row = next(r for r in family if r.id == new_id)
        new_row.status = "superseded"
    if latest.status == "superseded":
        latest.status = "received"  # current again: its facts must be (re)computed
    session.flush()
    process_id = latest.id if latest.status == "received" else None
    return IngestResult("created", new_id, latest.id == new_id, process_id)


def make_current(session: Session, submission_id: int) -> bool:
    """Make this stored version its record's current one (the server says so); True if changed."""
    row = session.get(Submission, submission_id)
    if row is None or row.is_latest:
        return False
    _lock_record(session, f"{row.server}:{row.asset_uid}:{row.record_id or row.root_id}")
    for other in session.scalars(
        select(Submission).where(
            _family_filter(row.server, row.asset_uid, row.root_id or row.instance_id, row.record_id)
        )
    ):
        if other.id != row.id and other.is_latest:
            other.is_latest = False
            if other.status in ("received", "processed", "failed"):
                other.status = "superseded"
    row.is_latest = True
    row.status = "received"  # to be processed as the current version
    session.flush()
    return True


def mark_deleted(session: Session, server: str, asset_uid: str, record_id: int) -> list[int]:
    """Mark every stored version of a record deleted upstream; return all their ids.

    Every version's downstream results must go (not only the latest's): an edit that was not
    yet processed would otherwise leave the original's results live.
    """
    version_ids = list(
        session.scalars(
            select(Submission.id).where(
                Submission.server == server,
                Submission.asset_uid == asset_uid,
                Submission.record_id == record_id,
            )
        )
    )
    session.execute(
        update(Submission)
        .where(
            Submission.server == server,
            Submission.asset_uid == asset_uid,
            Submission.record_id == record_id,
        )
        .values(status="deleted", is_latest=False)
    )
    return version_ids


def dead_letter(
    session: Session,
    *,
    source: str,
    reason: str,
    body: bytes,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    """Keep a payload we cannot use, with the reason; return its id.

    The body is kept byte for byte except that any 16-digit run (a KK or NIK) is blanked:
    personal numbers are never stored in clear, even in a payload we could not read.
    """
    row = DeadLetter(
        source=source,
        reason=reason,
        body=redact_bytes(body),
        content_type=(content_type or "")[:120] or None,
        headers=headers or {},
    )
    session.add(row)
    session.flush()
    return row.id


# -- what went wrong -------------------------------------------------------------------------------


def list_dead_letters(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """Recent dead letters, newest first, as JSON-able dicts (body shown as a short preview)."""
    rows = session.scalars(select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit))
    return [
        {
            "id": r.id,
            "received_at": r.received_at.isoformat(),
            "source": r.source,
            "reason": r.reason,
            "content_type": r.content_type,
            "bytes": len(r.body),
            "preview": r.body[:120].decode("utf-8", "replace"),
        }
        for r in rows
    ]


def list_problems(session: Session, limit: int = 200) -> list[dict[str, Any]]:
    """Stored submissions that failed processing or map to no known form version."""
    rows = session.scalars(
        select(Submission)
        .where(
            Submission.is_latest.is_(True),
            or_(Submission.status == "failed", Submission.version_known.is_(False)),
        )
        .order_by(Submission.id.desc())
        .limit(limit)
    )
    out = []
    for r in rows:
        problem = r.error if r.status == "failed" else None
        if not r.version_known:
            note = f"unknown form version {r.server_version!r} of asset {r.asset_uid!r}"
            problem = f"{problem}; {note}" if problem else note
        out.append(
            {
                "id": r.id,
                "instance_id": r.instance_id,
                "record_id": r.record_id,
                "form_id": r.form_id,
                "status": r.status,
                "problem": problem,
                "received_at": r.received_at.isoformat(),
            }
        )
    return out


def count_by_status(session: Session) -> dict[str, int]:
    """How many stored submissions are in each status."""
    return dict(
        session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all()
    )
