"""Central's trash, as a real Central v2026.2.2 shows it: DELETE, the OData rows, restore."""

from __future__ import annotations

import pytest

from core.clients.central import CentralClient, CentralConflict, CentralNotFound
from tests.support.odk_instances import (
    CENTRAL_FORM_ID,
    central_xform,
    family_instance,
    new_instance_id,
)


@pytest.fixture
def ids(client: CentralClient) -> list[str]:
    client.forms.create(central_xform("2026.1"))
    made = [new_instance_id() for _ in range(3)]
    for i in made:
        client.submissions.create(CENTRAL_FORM_ID, family_instance(instance_id=i))
    return made


def rows(client: CentralClient, **query) -> list[dict]:
    return [r for p in client.submissions.iter_pages(CENTRAL_FORM_ID, **query) for r in p.value]


def test_delete__leaves_the_feed_keeps_updated_at_and_shows_only_when_filtered(
    client: CentralClient, ids: list[str]
) -> None:
    client.submissions.delete(CENTRAL_FORM_ID, ids[0])

    # Out of the default feed, and out of an `updatedAt` pull: its updatedAt did not move.
    assert {r["__id"] for r in rows(client)} == set(ids[1:])
    assert {s.id for s in client.submissions.changes(CENTRAL_FORM_ID)} == set(ids[1:])
    # A filter naming `__system/deletedAt` shows the trash, with `deletedAt` set.
    [trashed] = rows(client, filter="__system/deletedAt ne null")
    assert trashed["__id"] == ids[0]
    assert trashed["__system"]["deletedAt"] is not None
    assert trashed["__system"]["updatedAt"] is None
    assert client.submissions.deleted_ids(CENTRAL_FORM_ID) == [ids[0]]
    assert len(rows(client, filter="__system/deletedAt eq null")) == 2
    assert client.submissions.live_count(CENTRAL_FORM_ID) == 2
    assert sorted(client.submissions.live_ids(CENTRAL_FORM_ID)) == sorted(ids[1:])


def test_delete__a_trashed_submission_is_404_and_its_instance_id_stays_taken(
    client: CentralClient, ids: list[str]
) -> None:
    client.submissions.delete(CENTRAL_FORM_ID, ids[0])

    with pytest.raises(CentralNotFound):
        client.submissions.get(CENTRAL_FORM_ID, ids[0])
    with pytest.raises(CentralNotFound):
        client.submissions.delete(CENTRAL_FORM_ID, ids[0])
    with pytest.raises(CentralConflict):  # 409.3, as for any duplicate instance id
        client.submissions.create(CENTRAL_FORM_ID, family_instance(instance_id=ids[0]))


def test_restore__brings_it_back_unchanged_and_only_from_the_trash(
    client: CentralClient, ids: list[str]
) -> None:
    client.submissions.delete(CENTRAL_FORM_ID, ids[0])
    client.submissions.restore(CENTRAL_FORM_ID, ids[0])

    assert {r["__id"] for r in rows(client)} == set(ids)
    assert client.submissions.deleted_ids(CENTRAL_FORM_ID) == []
    back = client.submissions.get(CENTRAL_FORM_ID, ids[0])
    assert back.updated_at is None  # a restore is not an update: no `updatedAt` pull sees it
    with pytest.raises(CentralNotFound):
        client.submissions.restore(CENTRAL_FORM_ID, ids[1])


def test_count_only__top_zero_answers_no_rows_and_no_next_link(
    client: CentralClient, ids: list[str]
) -> None:
    [page] = list(client.submissions.iter_pages(CENTRAL_FORM_ID, top=0, count=True))
    assert (page.value, page.count, page.next_link) == ([], 3, None)


def test_paging__a_row_deleted_between_pages_loses_no_later_row(
    client: CentralClient, ids: list[str]
) -> None:
    more = [new_instance_id() for _ in range(3)]
    for i in more:
        client.submissions.create(CENTRAL_FORM_ID, family_instance(instance_id=i))
    pages = client.submissions.iter_pages(CENTRAL_FORM_ID, top=2)
    first = next(pages)
    client.submissions.delete(CENTRAL_FORM_ID, first.value[-1]["__id"])
    rest = [r["__id"] for p in pages for r in p.value]
    assert rest == (ids + more)[::-1][2:]  # newest first, after the deleted page-one row
