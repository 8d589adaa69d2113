"""Retries, timeouts and typed errors against the Kobo sandbox with faults injected."""

from __future__ import annotations

import pytest

from core.clients.kobo import (
    HookSettings,
    HookSpec,
    KoboAuthError,
    KoboClient,
    KoboNotFound,
    KoboPermanentError,
    KoboRetryableError,
    KoboTimeout,
    default_retry,
)
from tests.support.kobo_sandbox import SandboxServer


class RecordingRetry:
    """Build a urllib3 Retry that records each Retry-After it obeys (shared across `new()`)."""

    @staticmethod
    def make(total: int = 3):
        from urllib3.util import Retry

        waits: list[float] = []

        class _Retry(Retry):
            def sleep_for_retry(self, response):
                retry_after = self.get_retry_after(response)
                if retry_after is not None:
                    waits.append(retry_after)
                return super().sleep_for_retry(response)

        base = default_retry(total=total, backoff_factor=0.01, backoff_max=0.05)
        retry = _Retry(
            total=base.total,
            connect=base.connect,
            read=base.read,
            status=base.status,
            backoff_factor=base.backoff_factor,
            backoff_max=base.backoff_max,
            status_forcelist=base.status_forcelist,
            allowed_methods=base.allowed_methods,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        return retry, waits


def test_429__retry_after_is_honoured_then_the_page_arrives(
    kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    kobo_sandbox.seed(asset_uid, count=3)
    retry, waits = RecordingRetry.make()
    kobo_sandbox.faults("data:429:count=1:retry_after=1")

    with KoboClient(kobo_sandbox.base_url, kobo_sandbox.token, retries=retry) as client:
        page = next(client.data.iter_pages(asset_uid))

    assert page.count == 3
    assert waits == [1.0]
    assert kobo_sandbox.faults()["rules"] == []


def test_503__retried_then_success(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    kobo_sandbox.seed(asset_uid, count=2)
    kobo_sandbox.faults("data:503:count=2")

    results = list(client.data.iter_submissions(asset_uid))

    assert len(results) == 2
    assert kobo_sandbox.faults()["rules"] == []


def test_503__persisting_past_the_retries_is_a_retryable_error(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    kobo_sandbox.faults("data:503:count=10")

    with pytest.raises(KoboRetryableError) as caught:
        next(client.data.iter_pages(asset_uid))

    assert caught.value.status_code == 503
    assert "Service Unavailable" in str(caught.value.body)


def test_500__is_permanent_and_not_retried(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    kobo_sandbox.faults("data:500:count=2")

    with pytest.raises(KoboPermanentError) as caught:
        next(client.data.iter_pages(asset_uid))

    assert caught.value.status_code == 500
    assert not isinstance(caught.value, KoboRetryableError)
    # One rule firing left: the client asked once.
    assert kobo_sandbox.faults()["rules"][0]["fired"] == 1


def test_slow_answer__beyond_the_timeout_is_a_retryable_timeout(
    kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    kobo_sandbox.faults("data:slow:seconds=1.0:count=3")

    with (
        KoboClient(
            kobo_sandbox.base_url,
            kobo_sandbox.token,
            timeout=0.2,
            retries=default_retry(total=1, backoff_factor=0.01),
        ) as client,
        pytest.raises(KoboTimeout) as caught,
    ):
        next(client.data.iter_pages(asset_uid))

    assert isinstance(caught.value, KoboRetryableError)
    assert isinstance(caught.value.__cause__, Exception)


def test_post__creating_a_hook_is_not_retried(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    kobo_sandbox.faults("api:503:count=1")
    spec = HookSpec("pantau", "https://pantau.example/webhooks/kobo", HookSettings("k", "s"))

    with pytest.raises(KoboRetryableError):
        client.hooks.create(asset_uid, spec)

    assert client.hooks.list(asset_uid) == []


def test_submit_xml__a_safe_post_is_retried_and_a_repeat_is_a_duplicate(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    xml, _ = kobo_sandbox.instance(asset_uid, {"ibu/nama": "Siti"})
    kobo_sandbox.faults("submission:503:count=1")

    first = client.submit_xml(xml)
    again = client.submit_xml(xml)

    assert (first.status_code, first.created) == (201, True)
    assert (again.status_code, again.duplicate) == (202, True)
    assert first.message == "Successful submission."


def test_errors__unknown_asset_is_not_found(client: KoboClient) -> None:
    with pytest.raises(KoboNotFound) as caught:
        client.assets.get("aNoSuchAsset")

    assert caught.value.status_code == 404
    assert caught.value.body == {"detail": "Not found."}


def test_errors__bad_token_is_an_auth_error(kobo_sandbox: SandboxServer) -> None:
    with (
        KoboClient(kobo_sandbox.base_url, "wrong-token", retries=default_retry(0)) as client,
        pytest.raises(KoboAuthError) as caught,
    ):
        client.assets.list()

    assert caught.value.status_code == 401


def test_errors__bad_request_is_permanent_with_the_field_errors(
    client: KoboClient, asset_uid: str
) -> None:
    with pytest.raises(KoboPermanentError) as caught:
        client.get_json(f"/api/v2/assets/{asset_uid}/data/", params={"limit": 0})

    assert caught.value.status_code == 400
    assert "limit" in caught.value.body
