from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pytest
import requests

from core.clients.central import (
    CentralAuthError,
    CentralClient,
    CentralPermanentError,
    CentralUnsupported,
    Watermark,
    default_retry,
)
from tests.support.central_stub import RunningCentralStub, serve_central_stub
from tests.support.odk_instances import (
    CENTRAL_FORM_ID,
    central_xform,
    family_instance,
    new_instance_id,
)

SUBMISSIONS = f"/projects/1/forms/{CENTRAL_FORM_ID}.svc/Submissions"


@pytest.fixture
def form(client: CentralClient) -> str:
    client.forms.create(central_xform("2026.1"))
    return CENTRAL_FORM_ID


def submit(client: CentralClient, n: int) -> list[str]:
    ids = [new_instance_id() for _ in range(n)]
    for i in ids:
        client.submissions.create(CENTRAL_FORM_ID, family_instance(instance_id=i))
    return ids


def test_iter_pages__follows_next_link_until_the_last_page(
    client: CentralClient, form: str
) -> None:
    ids = submit(client, 7)

    pages = list(client.submissions.iter_pages(form, top=3))

    assert [len(p.value) for p in pages] == [3, 3, 1]
    # Central's default order: newest first.
    assert [row["__id"] for p in pages for row in p.value] == ids[::-1]
    assert pages[-1].next_link is None
    link = pages[0].next_link
    assert link is not None and link.startswith("http://127.0.0.1:")
    token = link.rsplit("%24skiptoken=", 1)[1]
    assert token.startswith("01")
    assert json.loads(base64.b64decode(unquote(token)[2:])) == {"instanceId": ids[4]}


def test_iter_pages__an_ordered_feed_cannot_follow_its_own_next_link_501_1(
    client: CentralClient, form: str
) -> None:
    # Real Central (v2026.2.2) writes a next link keeping `$orderby` and then refuses it:
    # an ordered feed is one page at most, which is why pulls ask for no order.
    submit(client, 3)
    pages = client.submissions.iter_pages(form, orderby="__system/submissionDate asc", top=2)

    assert len(next(pages).value) == 2
    with pytest.raises(CentralUnsupported) as caught:
        next(pages)

    assert caught.value.code == "501.1"
    assert "$orderby and $skiptoken together" in str(caught.value)


def test_iter_pages__is_lazy(
    client: CentralClient, central_stub: RunningCentralStub, form: str
) -> None:
    submit(client, 5)
    before = len(central_stub.state.requests)

    pages = client.submissions.iter_pages(form, top=2)
    first = next(pages)

    assert len(first.value) == 2
    odata_calls = [r for r in central_stub.state.requests[before:] if ".svc/Submissions" in r[1]]
    assert len(odata_calls) == 1


def test_changes__pulls_everything_then_nothing_at_the_boundary(
    client: CentralClient, form: str
) -> None:
    ids = submit(client, 5)

    first = client.submissions.changes(form, page_size=2)
    got = [s.id for s in first]
    again = client.submissions.changes(form, first.watermark, page_size=2)

    assert got == ids[::-1]
    assert first.pages_read == 3
    assert list(again) == []
    # Everything was made minutes ago, within the settling window, so the next pull read it
    # all again (`ge` the server's time less five minutes) and recognised every version.
    assert again.skipped == 5
    assert again.watermark is not None and first.watermark is not None
    assert again.watermark.seen == first.watermark.seen


def test_changes__next_pull_yields_only_new_submissions(client: CentralClient, form: str) -> None:
    submit(client, 3)
    first = client.submissions.changes(form)
    list(first)

    new = submit(client, 2)
    second = client.submissions.changes(form, first.watermark, page_size=1)

    assert [s.id for s in second] == new[::-1]


@pytest.mark.parametrize("dated", [True, False], ids=["central-date", "no-date-header"])
def test_changes__what_changes_while_a_pull_pages_is_found_by_the_next_pull(dated: bool) -> None:
    # Pages come newest first, each after the last row of the one before. A submission made
    # while the pull is on page two sorts before page one and is not in this feed; an older
    # row edited meanwhile is, with its new (later) time. The mark must not pass the new
    # submission, or no later pull would ask for it. Without a Date header (a proxy that
    # strips it) our own clock bounds the mark.
    with (
        serve_central_stub(dated=dated) as stub,
        CentralClient(stub.url, stub.email, stub.password, retries=default_retry(0)) as client,
    ):
        client.forms.create(central_xform("2026.1"))
        _changes_while_paging(client, CENTRAL_FORM_ID)


def _changes_while_paging(client: CentralClient, form: str) -> None:
    oldest, *_ = submit(client, 4)
    feed = client.submissions.changes(form, page_size=2)
    rows = iter(feed)
    first_page = [next(rows).id, next(rows).id]
    [made_meanwhile] = submit(client, 1)
    client.submissions.edit(
        form, oldest, family_instance(instance_id=new_instance_id(), deprecated_id=oldest)
    )
    rest = [s.id for s in rows]

    assert made_meanwhile not in first_page + rest
    assert rest[-1] == oldest  # seen in its edited version
    assert [s.id for s in client.submissions.changes(form, feed.watermark)] == [made_meanwhile]


def test_changes__an_edit_is_found_by_the_next_pull(client: CentralClient, form: str) -> None:
    [original, _other] = submit(client, 2)
    first = client.submissions.changes(form)
    list(first)

    edited_id = new_instance_id()
    result = client.submissions.edit(
        form,
        original,
        family_instance(instance_id=edited_id, deprecated_id=original, desa="3277011002"),
    )
    [edit] = list(client.submissions.changes(form, first.watermark))

    assert result.instance_id == original
    assert edit.id == original
    assert edit.instance_id == edited_id
    assert (edit.review_state, edit.edits) == ("edited", 1)
    assert edit.updated_at is not None
    assert edit.data["identitas"]["desa"] == "3277011002"
    assert edit.data["meta"]["deprecatedID"] == original


def test_changes__rows_sharing_the_boundary_millisecond_are_not_lost_or_repeated() -> None:
    # A frozen clock puts every submission on the same millisecond: the hard case for `ge`.
    frozen = datetime(2026, 8, 21, 3, 5, 42, 123000, tzinfo=UTC)
    with (
        serve_central_stub(clock=lambda: frozen) as stub,
        CentralClient(stub.url, stub.email, stub.password, retries=default_retry(0)) as client,
    ):
        client.forms.create(central_xform("2026.1"))
        first_ids = submit(client, 3)
        # settle=None: the mark is the latest change seen, as when that is older than the
        # settling window (a quiet form; the next test), here with every row on it.
        first = client.submissions.changes(CENTRAL_FORM_ID, page_size=2, settle=None)
        assert [s.id for s in first] == first_ids[::-1]

        later = submit(client, 2)
        second = client.submissions.changes(
            CENTRAL_FORM_ID, first.watermark, page_size=2, settle=None
        )

        assert [s.id for s in second] == later[::-1]
        assert second.skipped == 3
        assert second.watermark is not None
        assert len(second.watermark.seen) == 5


def test_changes__on_a_quiet_form_the_mark_is_the_latest_change_and_only_its_versions() -> None:
    # Central's clock (its Date and its rows' times alike) has moved on past the settling
    # window since the last change: the mark is that change, not the window's start, and the
    # next pull reads only from there.
    now = [datetime(2026, 8, 21, 3, 5, 42, 123000, tzinfo=UTC)]
    with (
        serve_central_stub(clock=lambda: now[0]) as stub,
        CentralClient(stub.url, stub.email, stub.password, retries=default_retry(0)) as client,
    ):
        client.forms.create(central_xform("2026.1"))
        [first_id] = submit(client, 1)
        now[0] += timedelta(minutes=1)
        [last_id] = submit(client, 1)
        now[0] += timedelta(minutes=30)
        feed = client.submissions.changes(CENTRAL_FORM_ID)
        assert [s.id for s in feed] == [last_id, first_id]
        assert feed.watermark is not None
        assert feed.watermark.changed_at == datetime(2026, 8, 21, 3, 6, 42, 123000, tzinfo=UTC)
        assert [key[0] for key in feed.watermark.seen] == [last_id]
        again = client.submissions.changes(CENTRAL_FORM_ID, feed.watermark)
        assert (list(again), again.skipped) == ([], 1)


def test_watermark__round_trips_through_json() -> None:
    mark = Watermark(
        datetime(2026, 8, 21, 3, 5, 42, 123000, tzinfo=UTC), frozenset({("uuid:a", "uuid:b")})
    )

    assert Watermark.from_json(mark.to_json()) == mark


def test_changes__values_are_typed_and_repeats_nested(client: CentralClient, form: str) -> None:
    client.submissions.create(form, family_instance(jumlah_anak=2, anak=[("l", 78.0), ("p", 64.5)]))

    [sub] = list(client.submissions.changes(form))

    assert sub.data["ibu"]["jumlah_anak"] == 2
    assert [a["tinggi_cm"] for a in sub.data["anak"]] == [78.0, 64.5]
    assert sub.updated_at is None  # Central leaves it null until an edit
    assert sub.form_version == "2026.1"


def test_filter__offset_is_encoded_so_a_plus_survives(client: CentralClient, form: str) -> None:
    submit(client, 1)
    since = (datetime.now(UTC) - timedelta(hours=1)).astimezone().isoformat()
    jakarta = datetime.now(UTC).replace(tzinfo=None).isoformat() + "+07:00"

    pages = list(
        client.submissions.iter_pages(form, filter=f"__system/submissionDate ge {jakarta}")
    )
    older = list(client.submissions.iter_pages(form, filter=f"__system/submissionDate ge {since}"))

    # `now` read as Jakarta time is 7 hours ago, so the submission is newer.
    assert len(pages[0].value) == 1
    assert len(older[0].value) == 1


def test_filter__raw_plus_reads_as_a_space_and_is_400_18(client: CentralClient, form: str) -> None:
    url = (
        client.api_url
        + SUBMISSIONS
        + "?$filter=__system/updatedAt ge 2026-08-21T10:00:00.000+07:00"
    )

    with pytest.raises(CentralPermanentError) as caught:
        client.get_json(url)

    assert (caught.value.status_code, caught.value.code) == (400, "400.18")


def test_filter__on_a_form_field_is_501_5(client: CentralClient, form: str) -> None:
    with pytest.raises(CentralUnsupported) as caught:
        next(client.submissions.iter_pages(form, filter="identitas/desa eq '3277011001'"))

    assert caught.value.code == "501.5"


def test_select_with_expand__is_501_11(client: CentralClient, form: str) -> None:
    with pytest.raises(CentralUnsupported) as caught:
        next(client.submissions.iter_pages(form, select="__id", expand=True))

    assert caught.value.code == "501.11"


def test_session__renewed_after_the_token_expires(
    client: CentralClient, central_stub: RunningCentralStub, form: str
) -> None:
    submit(client, 1)
    central_stub.state.expire_sessions()

    pages = list(client.submissions.iter_pages(form))

    assert len(pages[0].value) == 1
    logins = [r for r in central_stub.state.requests if r[0] == "POST" and "/v1/sessions" in r[1]]
    assert len(logins) == 2


def test_login__wrong_password_is_a_typed_auth_error(central_stub: RunningCentralStub) -> None:
    with (
        CentralClient(central_stub.url, central_stub.email, "wrong") as client,
        pytest.raises(CentralAuthError) as caught,
    ):
        client.forms.list()

    assert caught.value.code == "401.2"


def test_basic_auth__over_plain_http_is_401_3(central_stub: RunningCentralStub) -> None:
    response = requests.get(
        f"{central_stub.url}/v1/projects/1/forms",
        auth=(central_stub.email, central_stub.password),
        timeout=5,
    )

    assert response.status_code == 401
    assert response.json()["code"] == 401.3
