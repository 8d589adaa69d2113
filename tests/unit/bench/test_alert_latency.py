"""The latency benchmark's arithmetic: percentiles, and matching each e-mail to its POST."""

from __future__ import annotations

import pytest

from bench.alert_latency import match_latencies, percentile, rw_rt_key


def test_percentile_interpolates_between_ranks_as_numpy_does():
    values = [0.5, 0.1, 0.3, 0.2, 0.4]
    assert percentile(values, 50) == pytest.approx(0.3)
    assert percentile(values, 95) == pytest.approx(0.48)
    assert percentile(values, 100) == pytest.approx(0.5)
    assert percentile([1.7], 95) == 1.7
    with pytest.raises(ValueError):
        percentile([], 50)


def test_each_mail_is_matched_to_its_own_post_whatever_the_order_they_arrive_in():
    posted = {"001/001": 10.0, "001/002": 10.2, "001/003": 10.4, "001/004": 10.6}
    accepted = [
        ("000/001", 9.0),  # the warm-up survey: not measured
        ("001/002", 10.5),  # overtook the one posted before it
        ("001/001", 11.0),
        ("001/003", 10.9),
        ("001/003", 12.0),  # mailed twice: a finding, not a latency
        ("?", 11.5),  # a message naming no RW/RT
    ]
    latencies, missing, duplicated = match_latencies(posted, accepted)
    assert latencies == pytest.approx([1.0, 0.3])
    assert missing == ["001/004"] and duplicated == ["001/003"]


def test_rw_rt_keys_are_distinct_and_shaped_as_the_form_wants():
    keys = [rw_rt_key(i) for i in range(500)]
    assert len(set(keys)) == 500
    assert all(len(rw) == 3 and len(rt) == 3 and rt != "000" for rw, rt in keys)
