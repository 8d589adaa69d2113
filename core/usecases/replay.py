"""`pantau intake replay`: saved submissions through the same intake as the webhook.

A source is a file or a folder of them: JSON (one submission, a list, or a saved page of the
data API) or Kobo's own data exports (.xlsx or .csv, see core.domain.kobo_exports). A file that
cannot be read is named with the reason and skipped; the other files still go in (every record
is stored once, so replaying a folder again after fixing a file is safe).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.domain.kobo_exports import FORMATS, ExportError, read_export
from core.domain.privacy import Keyring
from core.domain.submissions import IntakeRejected, loads_strict
from core.store.db import session_scope
from core.store.submissions import published_forms
from core.usecases.intake import IntakeCounts, receive

SUFFIXES = (".json", *FORMATS)
CHUNK = 100
# How many refusal reasons a report keeps to show (every one is a dead letter).
SHOWN_REASONS = 5


@dataclass
class ReplayReport:
    """What a replay did: records stored, duplicates, refusals, and files it could not read."""

    files: int = 0
    records: int = 0
    counts: IntakeCounts = field(default_factory=IntakeCounts)
    new_ids: list[int] = field(default_factory=list)
    bad_files: list[tuple[str, str]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-able counts, and each unreadable file with why."""
        return {
            "files": self.files,
            "records": self.records,
            "new": self.counts.created,
            "duplicates": self.counts.duplicates,
            "refused": self.counts.rejected,
            "bad_files": [{"file": f, "reason": r} for f, r in self.bad_files],
        }


def source_files(source: Path) -> list[Path]:
    """The files a source names: itself, or every JSON/CSV/XLSX file under a folder."""
    if not source.is_dir():
        return [source]
    return sorted(
        p
        for p in source.rglob("*")
        if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("~$")
    )


def export_asset(session: Session, form_id: str) -> str:
    """The Kobo asset of our form form_id, which the rows of its exports are marked with."""
    found = published_forms(session, "kobo", form_id)
    if not found:
        raise ExportError(
            f"--form {form_id}: never published to Kobo through Pantau, so its records "
            "cannot be matched to a form version (see `pantau forms versions`)"
        )
    return found[-1][1]


def read_records(path: Path, asset_uid: str | None) -> list[Any]:
    """The records of one file (ExportError or IntakeRejected saying why it cannot be read)."""
    if path.suffix.lower() in FORMATS:
        if asset_uid is None:
            raise ExportError(
                f"{path.name}: a Kobo CSV/XLSX export does not name its form; add --form FORM"
            )
        return read_export(path, asset_uid)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ExportError(f"{path.name}: not UTF-8 (byte {exc.start})") from exc
    data = loads_strict(text)
    if isinstance(data, dict) and isinstance(data.get("results"), list):
        data = data["results"]  # a saved page of the data API
    return data if isinstance(data, list) else [data]


def replay(
    factory: sessionmaker[Session],
    source: Path,
    *,
    secret: bytes | Keyring,
    form_id: str | None = None,
    progress: Callable[[ReplayReport], None] | None = None,
) -> ReplayReport:
    """Store every record under source; unreadable files are reported, not fatal."""
    report = ReplayReport()
    asset_uid = None
    if form_id is not None:
        with factory() as session:
            asset_uid = export_asset(session, form_id)
    for path in source_files(source):
        report.files += 1
        try:
            records = read_records(path, asset_uid)
        except (ExportError, IntakeRejected, OSError) as exc:
            reason = exc.reason if isinstance(exc, IntakeRejected) else str(exc)
            report.bad_files.append((path.name, reason.removeprefix(f"{path.name}: ")))
            continue
        for chunk in _chunks(records):
            _store(factory, chunk, path.name, secret, report)
            if progress:
                progress(report)
    return report


def _chunks(records: list[Any]) -> Iterator[list[Any]]:
    for start in range(0, len(records), CHUNK):
        yield records[start : start + CHUNK]


def _store(
    factory: sessionmaker[Session],
    records: list[Any],
    name: str,
    secret: bytes | Keyring,
    report: ReplayReport,
) -> None:
    with session_scope(factory) as session:
        for record in records:
            received = receive(session, record, source="replay", secret=secret, context=name)
            report.records += 1
            report.counts.add(received)
            if received.process_id is not None:
                report.new_ids.append(received.process_id)
            if received.outcome == "rejected" and len(report.reasons) < SHOWN_REASONS:
                report.reasons.append(received.reason or "")
