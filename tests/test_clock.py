from datetime import UTC, datetime

import pytest

from cocdesk import clock


def test_frozen_clock_is_the_one_source_of_now():
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with clock.frozen(moment):
        assert clock.now() == moment
    assert clock.now() != moment


def test_parse_takes_iso_times_and_assumes_utc():
    assert clock.parse("2026-03-01T09:30") == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    assert clock.parse("2026-03-01T09:30+02:00").utcoffset().total_seconds() == 7200


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        clock.set_now(datetime(2026, 3, 1))
