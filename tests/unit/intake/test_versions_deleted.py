"""The edit-chain rule for a record deleted upstream, on plain records: no database."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.versions import Change, resolve


@dataclass
class V:
    id: int
    instance_id: str
    deprecated_id: str | None = None
    status: str = "processed"
    is_latest: bool = False


def test_resolve__a_live_chain_makes_its_last_edit_current():
    old = V(1, "a", status="processed", is_latest=True)
    new = V(2, "b", deprecated_id="a", status="received", is_latest=True)
    current, changes = resolve([old, new])
    assert current is new
    assert changes == [Change(1, False, "superseded")]


def test_resolve__an_edit_arriving_after_the_deletion_is_kept_deleted_and_not_current():
    gone = V(1, "a", status="deleted", is_latest=False)
    late = V(2, "b", deprecated_id="a", status="received", is_latest=True)
    current, changes = resolve([gone, late])
    assert current is None
    assert changes == [Change(2, False, "deleted")]


def test_resolve__an_unrelated_looking_version_of_a_deleted_record_is_deleted_too():
    # Kobo deletes the whole record: a version with no deprecatedID (a gap in the chain, an
    # export without it) that shares the record is no less deleted.
    gone = V(1, "b", deprecated_id="a", status="deleted", is_latest=False)
    orphan = V(2, "a", status="received", is_latest=True)
    current, changes = resolve([gone, orphan])
    assert current is None and changes == [Change(2, False, "deleted")]


def test_resolve__a_deleted_record_with_nothing_new_changes_nothing():
    versions = [V(1, "a", status="deleted"), V(2, "b", deprecated_id="a", status="deleted")]
    assert resolve(versions) == (None, [])
