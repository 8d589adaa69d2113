"""Shared steps of the alert tests: publish, post surveys, process, deliver."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select

from core.store.models import Alert, Delivery
from core.usecases.delivery import deliver
from core.wiring import channel_for, retry_policy
from service.app import create_app
from tests.integration.alerts.conftest import cli
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.submissions import family_answers, publish_in_sandbox
from workers.celery_app import make_celery


def post_survey(client, sandbox, form, answers, **kw) -> dict:
    """Submit a survey like a phone and deliver it to the webhook as Kobo would."""
    rec = submit_and_read(sandbox, form, answers, **kw)
    with client.post("/webhooks/kobo", json=rec, headers=AUTH) as answer:
        assert answer.status_code == 202
    return rec


@contextmanager
def family_surveys(settings, sandbox, session_factory) -> Iterator[Callable[..., list[int]]]:
    """`submit(*answers, process=True, rules=None)`: family surveys delivered as Kobo would.

    Returns their stored ids; with `process`, the worker's `process_submissions` then runs on
    them together, as one unit of work (with `rules`: a worker on those settings' rules).
    """
    with session_factory() as s:
        form = publish_in_sandbox(sandbox, s, "keluarga_risiko")
        s.commit()
    app = create_app(settings)
    client = app.test_client()

    def submit(*answers: dict, process: bool = True, rules=None) -> list[int]:
        ids = []
        for one in answers:
            record = submit_and_read(sandbox, form, one)
            with client.post("/webhooks/kobo", json=record, headers=AUTH) as answer:
                assert answer.status_code == 202
                ids.append(answer.get_json()["submission"])
        if process:
            task = make_celery(rules or settings).tasks["pantau.process_submissions"]
            task.apply(args=[ids]).get()
        return ids

    try:
        yield submit
    finally:
        app.extensions["pantau.engine"].dispose()


def post_surveys(settings, sandbox, session_factory, kks) -> None:
    """Publish keluarga_risiko in the sandbox and deliver one survey per KK to our webhook."""
    with session_factory() as s:
        form = publish_in_sandbox(sandbox, s, "keluarga_risiko")
        s.commit()
    app = create_app(settings)
    try:
        client = app.test_client()
        for no_kk in kks:
            post_survey(client, sandbox, form, family_answers(no_kk))
    finally:
        app.extensions["pantau.engine"].dispose()


def process(settings) -> None:
    """Process what the webhook stored, as the worker would (`pantau score` does it first)."""
    cli(settings, "score", "families", "--json")


def deliver_all(settings, session_factory) -> list[str]:
    """Send every due delivery once; return their outcomes."""
    with session_factory() as s:
        ids = [d.id for d in s.scalars(select(Delivery).where(Delivery.status == "queued"))]
    return [
        deliver(
            session_factory, i, channel_for(settings), retry_policy(settings), settings.public_url
        ).outcome
        for i in ids
    ]


def alerts(session_factory) -> list[Alert]:
    """Every alert, oldest first."""
    with session_factory() as s:
        return list(s.scalars(select(Alert).order_by(Alert.id)))
