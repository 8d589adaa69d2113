"""The end state every scenario must reach: stored once, processed once, alerted once."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.store.models import Alert, Delivery, Submission
from tests.reliability.stack import Stack
from tests.support.kobo_sandbox import SandboxServer
from tests.support.mail import SmtpSink
from tests.support.processes import wait_for


def manifest(sandbox: SandboxServer, asset: str) -> dict[int, str]:
    """`_id` -> `_uuid` of every record the sandbox holds for asset (its latest versions)."""
    out, start = {}, 0
    while True:
        page = sandbox.api(
            "GET",
            f"/api/v2/assets/{asset}/data/",
            params={"fields": '["_id","_uuid"]', "limit": 1000, "start": start},
        ).json()
        out.update({r["_id"]: r["_uuid"] for r in page["results"]})
        if not page["next"]:
            return out
        start += 1000


def latest(factory: sessionmaker[Session]) -> list[Submission]:
    """The current version of every record we hold."""
    with factory() as s:
        return list(s.scalars(select(Submission).where(Submission.is_latest.is_(True))))


def busy_is_no(predicate: Callable[[], bool]) -> Callable[[], bool]:
    """A poll that counts a locked SQLite database (a worker writing a batch) as "not yet"."""

    def poll() -> bool:
        try:
            return predicate()
        except OperationalError:
            return False

    return poll


def wait_processed(factory: sessionmaker[Session], count: int, timeout: float = 300) -> None:
    """Wait until count current versions are held and none is waiting to be processed."""

    @busy_is_no
    def done() -> bool:
        rows = latest(factory)
        return len(rows) >= count and all(r.status != "received" for r in rows)

    wait_for(done, timeout=timeout, interval=1, what=f"{count} submissions processed")


def stored_and_processed_once(st: Stack) -> dict[str, int]:
    """Every sandbox record held exactly once in its latest version, each processed once."""
    server = {
        (form.asset_uid, rid): uuid
        for form in (st.meeting, st.family)
        for rid, uuid in manifest(st.sandbox, form.asset_uid).items()
    }
    rows = latest(st.factory)
    held = {(r.asset_uid, r.record_id): r.instance_id for r in rows}
    assert len(held) == len(rows), "a record held twice as current"
    assert held == server, {
        "missing": len(server.keys() - held.keys()),
        "extra": len(held.keys() - server.keys()),
    }
    statuses = Counter(r.status for r in rows)
    assert statuses == {"processed": len(rows)}, statuses
    counts = Counter(r.process_count for r in rows)
    assert counts == {1: len(rows)}, counts  # process_count: times its facts were made
    with st.factory() as s:
        versions = s.scalar(select(func.count()).select_from(Submission))
    return {
        "records": len(server),
        "stored_once": len(rows),
        "processed_once": counts[1],
        "submission_rows": versions,
    }


def wait_deliveries_settled(factory: sessionmaker[Session], timeout: float = 180) -> None:
    """Wait until no delivery is queued or being sent."""

    @busy_is_no
    def settled() -> bool:
        with factory() as s:
            busy = select(func.count()).select_from(Delivery)
            return s.scalar(busy.where(Delivery.status.in_(("queued", "sending")))) == 0

    wait_for(settled, timeout=timeout, interval=1, what="every delivery sent")


def alerted_once(factory: sessionmaker[Session], sink: SmtpSink) -> dict[str, int]:
    """Every delivery sent and received exactly once; every family alert in exactly one mail."""
    with factory() as s:
        deliveries = list(s.scalars(select(Delivery)))
        alerts = list(s.scalars(select(Alert).where(Alert.family_id.is_not(None))))
    statuses = Counter(d.status for d in deliveries)
    assert statuses == {"sent": len(deliveries)}, statuses
    mails = list(sink.received)
    ids = Counter(str(m.message["Message-ID"]) for m in mails)
    twice = {k: n for k, n in ids.items() if n > 1}
    assert not twice, f"mails received more than once: {twice}"
    assert set(ids) == {f"<delivery-{d.id}@pantau>" for d in deliveries}
    bodies = [m.body for m in mails]
    for alert in alerts:
        ref = re.compile(rf"PNT-{alert.id:06d}(?!\d)")
        named = sum(1 for b in bodies if ref.search(b))
        assert named == 1, f"alert {alert.id} named in {named} mails"
    return {
        "alerts": len(alerts),
        "deliveries_sent": len(deliveries),
        "mails": len(mails),
        "send_attempts": sum(d.attempts for d in deliveries),
    }
