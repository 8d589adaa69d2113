"""The edit-chain rule: which stored version of a submission is the current one.

An edit on Kobo or Central is a new instance whose `meta/deprecatedID` names the instance it
replaces; the server's record id (`_id`) and the root instance id stay. Versions can reach us in
any order (the webhook fires on creation only; the sweep fetches edits; retries re-deliver), so
the rule must give the same answer whatever arrived first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

#: Statuses of a version whose results are live; replacing it supersedes them.
LIVE = ("received", "processed", "failed")


class Version(Protocol):
    """What the rule reads of a stored version (a `Submission` row, or a test double)."""

    id: int
    instance_id: str
    deprecated_id: str | None
    status: str
    is_latest: bool


V = TypeVar("V", bound=Version)


@dataclass(frozen=True)
class Change:
    """One stored version's new state."""

    id: int
    is_latest: bool
    status: str


def current_version(versions: Sequence[V]) -> V:
    """The version no other version deprecates; with a gap in the chain, the newest edit.

    When an intermediate edit never reached us, several versions qualify: an edit beats the
    original, and between edits the one stored last (highest id) wins. Deleted versions are
    never current unless nothing else is left.
    """
    deprecated = {v.deprecated_id for v in versions if v.deprecated_id}
    heads = [v for v in versions if v.instance_id not in deprecated and v.status != "deleted"]
    if not heads:
        heads = [v for v in versions if v.status != "deleted"] or list(versions)
    return max(heads, key=lambda v: (v.deprecated_id is not None, v.id))


def settle(versions: Sequence[Version], current_id: int) -> list[Change]:
    """Changes that make `current_id` the one current version of its chain.

    A version that stops being current is superseded (its results must go); the current one,
    if it had been superseded, is received again so its results are (re)computed.
    """
    changes = []
    for v in versions:
        is_current = v.id == current_id
        status = v.status
        if v.is_latest and not is_current and v.status in LIVE:
            status = "superseded"
        if is_current and v.status == "superseded":
            status = "received"
        if v.is_latest != is_current or status != v.status:
            changes.append(Change(v.id, is_current, status))
    return changes


def resolve(versions: Sequence[V]) -> tuple[V | None, list[Change]]:
    """The current version of a record and the changes that make it so; None when deleted.

    A deletion upstream takes the whole record (Kobo's is for good; a restore from Central's
    trash brings back every version at once), so a record of which we hold a deleted version
    is deleted: a version reaching us afterwards (a replayed file, a stalled delivery) is kept
    with the others, deleted, and is neither current nor processed.
    """
    if any(v.status == "deleted" for v in versions):
        return None, [
            Change(v.id, False, "deleted") for v in versions if v.is_latest or v.status != "deleted"
        ]
    current = current_version(versions)
    return current, settle(versions, current.id)
