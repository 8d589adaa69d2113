from __future__ import annotations

import pytest
import requests

from sandbox.kobo.faults import FaultSpecError, parse_spec
from tests.support.kobo_sandbox import sample_xlsform, start_kobo_sandbox


def _data(s, uid):
    return s.api("GET", f"/api/v2/assets/{uid}/data/")


def test_fault__429_with_retry_after_for_next_k_calls(kobo_sandbox, asset_uid):
    kobo_sandbox.faults("data:429:count=2:retry_after=7")
    first, second, third = (_data(kobo_sandbox, asset_uid) for _ in range(3))
    assert first.status_code == second.status_code == 429
    assert first.headers["Retry-After"] == "7"
    assert third.status_code == 200


def test_fault__503_then_success_and_500(kobo_sandbox, asset_uid):
    kobo_sandbox.faults("data:503:count=1;data:500:count=1")
    codes = [_data(kobo_sandbox, asset_uid).status_code for _ in range(3)]
    # One fault answers per call, in spec order.
    assert codes == [503, 500, 200]


def test_fault__data_faults_do_not_touch_other_endpoints(kobo_sandbox, asset_uid):
    kobo_sandbox.faults("data:500:count=1")
    assert kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/").status_code == 200
    assert _data(kobo_sandbox, asset_uid).status_code == 500


def test_fault__slow_response_trips_a_client_timeout(kobo_sandbox, asset_uid):
    kobo_sandbox.faults("data:slow:seconds=2:count=1")
    with pytest.raises(requests.exceptions.ReadTimeout):
        kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/data/", timeout=0.2)


def test_fault__spec_at_start_and_rate_is_deterministic_with_seed(tmp_path):
    spec = "data:503:rate=0.5:seed=3"
    runs = []
    for n in range(2):
        with start_kobo_sandbox(tmp_path / f"k{n}.db", faults=spec) as s:
            uid = s.import_form(sample_xlsform())
            s.deploy(uid)
            runs.append([_data(s, uid).status_code for _ in range(20)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 503}


def test_fault__admin_endpoint_lists_and_clears(kobo_sandbox):
    assert kobo_sandbox.faults("api:500:count=3")["rules"][0]["count"] == 3
    cleared = requests.delete(kobo_sandbox.url("/__sandbox__/faults"), timeout=10).json()
    assert cleared == {"rules": []}
    bad = requests.post(
        kobo_sandbox.url("/__sandbox__/faults"), json={"spec": "nope:1"}, timeout=10
    )
    assert bad.status_code == 400


def test_fault_spec__rejects_unknown_parts():
    with pytest.raises(FaultSpecError):
        parse_spec("data:teapot")
    with pytest.raises(FaultSpecError):
        parse_spec("data:drop")
    assert parse_spec("hooks:drop:rate=0.25:seed=1")[0].count is None


def test_fault__after_lets_the_first_calls_through(kobo_sandbox, asset_uid):
    kobo_sandbox.faults("data:500:after=2:count=1")
    codes = [_data(kobo_sandbox, asset_uid).status_code for _ in range(4)]
    assert codes == [200, 200, 500, 200]
