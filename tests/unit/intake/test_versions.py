"""The edit-chain rule, on plain records: no database."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from core.domain.versions import Change, current_version, resolve, settle


@dataclass
class V:
    id: int
    instance_id: str
    deprecated_id: str | None = None
    status: str = "processed"
    is_latest: bool = False


def _chain(order: tuple[int, ...]) -> list[V]:
    # a <- b <- c (c is the last edit), stored in the given arrival order.
    specs = [("a", None), ("b", "a"), ("c", "b")]
    return [
        V(id=n + 1, instance_id=specs[i][0], deprecated_id=specs[i][1]) for n, i in enumerate(order)
    ]


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_current_version__the_last_edit_whatever_the_arrival_order(order):
    assert current_version(_chain(order)).instance_id == "c"


def test_current_version__with_a_gap_an_edit_beats_the_original():
    # b never reached us: a and c both look like heads.
    versions = [V(1, "a"), V(2, "c", deprecated_id="b")]
    assert current_version(versions).instance_id == "c"


def test_current_version__between_edits_with_gaps_the_last_stored_wins():
    versions = [V(1, "x", deprecated_id="gone1"), V(2, "y", deprecated_id="gone2")]
    assert current_version(versions).id == 2


def test_current_version__a_deleted_version_is_never_current_while_another_is_left():
    versions = [V(1, "a"), V(2, "b", deprecated_id="a", status="deleted")]
    assert current_version(versions).instance_id == "a"


def test_settle__the_replaced_version_is_superseded_and_the_new_one_current():
    old = V(1, "a", status="processed", is_latest=True)
    new = V(2, "b", deprecated_id="a", status="received", is_latest=True)
    changes = {c.id: c for c in settle([old, new], current_id=2)}
    assert changes[1].is_latest is False and changes[1].status == "superseded"
    assert 2 not in changes  # already current and waiting to be processed


def test_settle__an_old_version_arriving_late_is_superseded_at_once():
    edit = V(1, "b", deprecated_id="a", status="processed", is_latest=True)
    late = V(2, "a", status="received", is_latest=True)  # inserted optimistically as current
    changes = {c.id: c for c in settle([edit, late], current_id=1)}
    assert changes == {2: changes[2]} and changes[2].status == "superseded"


def test_settle__a_superseded_version_made_current_again_is_received_for_processing():
    v = V(1, "a", status="superseded", is_latest=False)
    other = V(2, "x", status="processed", is_latest=True)
    changes = {c.id: c for c in settle([v, other], current_id=1)}
    assert changes[1].is_latest and changes[1].status == "received"
    assert not changes[2].is_latest and changes[2].status == "superseded"


def test_settle__deleted_versions_keep_their_status():
    gone = V(1, "a", status="deleted", is_latest=False)
    new = V(2, "b", status="received", is_latest=True)
    assert settle([gone, new], current_id=2) == []


# A record deleted upstream: resolve() keeps every version of it deleted.


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
