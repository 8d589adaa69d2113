"""What the generators make: one submission's answers, when it was sent, and its stable id."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

NAMESPACE = uuid.UUID("0d5c3a7e-2f41-4b8e-9a61-5c2e7f1b8d40")
WIB = 7  # Kota Cimahi's clock, hours ahead of UTC


@dataclass(frozen=True)
class Record:
    """Flat answers of one submission (group paths as in the built form), with a stable key."""

    form_id: str
    key: str  # unique in the district: the instance id is made from it and the seed
    submitted: datetime  # UTC, whole seconds
    answers: dict[str, Any]
    kader: str

    def instance_id(self, seed: int) -> str:
        """A stable `uuid:` instance id: the same record is never stored twice."""
        return f"uuid:{uuid.uuid5(NAMESPACE, f'pantau-demo-district/{seed}/{self.key}')}"

    def kobo(self, seed: int) -> dict[str, Any]:
        """The record for the sandbox's bulk endpoint (answers plus Kobo's own fields)."""
        return {
            **self.answers,
            "meta/instanceID": self.instance_id(seed),
            "_submission_time": self.submitted.replace(tzinfo=None).isoformat("T", "seconds"),
            "_submitted_by": self.kader,
        }


def months_ending(end: str, n: int = 12) -> list[str]:
    """The n months ("YYYY-MM") up to and including end, oldest first."""
    index = int(end[:4]) * 12 + int(end[5:7]) - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(index - n + 1, index + 1)]


def day_in(month: str, day: int) -> date:
    """Day `day` (1-28, so every month has it) of month."""
    return date(int(month[:4]), int(month[5:7]), day)


def sent_at(day: date, minute_of_day: int) -> datetime:
    """UTC time of a submission sent on day at minute_of_day (WIB)."""
    local = datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(minutes=minute_of_day)
    return local - timedelta(hours=WIB)


def header(form_day: date, sent: datetime, desa: str, imp: str | None = None) -> dict[str, Any]:
    """Answers every form starts with: start/end (WIB), today, the wilayah and the IMP."""
    end = sent + timedelta(hours=WIB)
    start = end - timedelta(minutes=12)
    answers: dict[str, Any] = {
        "start": start.strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
        "end": end.strftime("%Y-%m-%dT%H:%M:%S.000+07:00"),
        "today": form_day.isoformat(),
        "wilayah/kecamatan": desa.rsplit(".", 1)[0],
        "wilayah/desa": desa,
    }
    if imp is not None:
        answers["wilayah/imp"] = imp
    return answers


def digest(records: Iterable[Record], seed: int) -> str:
    """SHA-256 of every record as the sandbox receives it, in order: same data, same digest."""
    h = hashlib.sha256()
    for r in records:
        h.update(json.dumps([r.form_id, r.kobo(seed)], sort_keys=True).encode())
        h.update(b"\n")
    return h.hexdigest()
