import random
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callbridge.domain.retry import Backoff


@given(attempt=st.integers(min_value=1, max_value=60), seed=st.integers())
def test_delay_stays_within_jitter_band_and_cap(attempt, seed):
    b = Backoff(base_seconds=2, factor=2, cap_seconds=600, jitter=0.5)
    raw = min(600, 2 * 2 ** (attempt - 1))
    delay = b.delay(attempt, random.Random(seed)).total_seconds()
    assert raw * 0.5 <= delay <= raw


def test_delays_grow_until_the_cap():
    b = Backoff(base_seconds=1, factor=2, cap_seconds=8, jitter=0)
    assert [b.delay(n).total_seconds() for n in range(1, 6)] == [1, 2, 4, 8, 8]


def test_retry_after_is_a_floor():
    b = Backoff(base_seconds=1, jitter=0)
    assert b.at_least(1, timedelta(seconds=30)) == timedelta(seconds=30)
    assert b.at_least(6, timedelta(seconds=3)) == timedelta(seconds=32)


def test_jitter_spreads_simultaneous_failures():
    b = Backoff(base_seconds=10, jitter=0.5)
    rng = random.Random(7)
    assert len({b.delay(3, rng) for _ in range(20)}) > 10


@pytest.mark.parametrize(
    "kwargs", [{"base_seconds": 0}, {"factor": 0.5}, {"jitter": 1.0}, {"cap_seconds": 0.1}]
)
def test_nonsense_backoff_is_refused(kwargs):
    with pytest.raises(ValueError):
        Backoff(**kwargs)
