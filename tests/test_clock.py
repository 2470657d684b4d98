from datetime import UTC, datetime, timedelta

import pytest

from callbridge.clock import SystemClock, VirtualClock


def test_virtual_clock_moves_only_when_told():
    clock = VirtualClock(datetime(2026, 3, 1, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2026, 3, 1, tzinfo=UTC)
    assert clock.advance(90) == datetime(2026, 3, 1, 0, 1, 30, tzinfo=UTC)
    assert clock.advance(timedelta(days=30)).month == 3


def test_virtual_clock_never_goes_back():
    clock = VirtualClock()
    with pytest.raises(ValueError, match="only moves forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="only moves forward"):
        clock.set(clock.now() - timedelta(seconds=1))


def test_system_clock_is_aware_utc():
    assert SystemClock().now().tzinfo is UTC
