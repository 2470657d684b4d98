from datetime import UTC, datetime, timedelta
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callbridge.domain.communication import (
    Communication,
    CommunicationKind,
    Direction,
    Party,
    Recording,
    Version,
    merge,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def piece(seq, **values):
    return Communication(CommunicationKind.call, "ringcentral", "s-1", version=Version(seq), **values)


def test_out_of_order_delivery_keeps_the_final_state_and_the_late_recording():
    setup = piece(1, direction=Direction.inbound, started_at=T0, result="Ringing",
                  from_party=Party("+16505550100"))
    answered = piece(2, result="In Progress")
    finished = piece(3, result="Call connected", ended_at=T0 + timedelta(minutes=4), duration_seconds=240,
                     final=True)
    recording = piece(4, recording=Recording("rec-9"))
    for order in ([setup, answered, finished, recording], [recording, finished, setup, answered],
                  [finished, answered, recording, setup, finished]):
        state = reduce(merge, order)
        assert state.result == "Call connected" and state.duration_seconds == 240
        assert state.recording == Recording("rec-9")
        assert state.from_party == Party("+16505550100")
        assert state.final


def test_a_newer_ringing_event_does_not_reopen_a_finished_call():
    finished = piece(5, result="Missed", final=True, ended_at=T0)
    stale_but_newer = piece(6, result="Ringing")
    assert merge(finished, stale_but_newer).result == "Missed"


def test_pieces_of_different_communications_do_not_merge():
    other = Communication(CommunicationKind.call, "ringcentral", "s-2")
    with pytest.raises(ValueError, match="cannot merge"):
        merge(piece(1), other)


results = st.sampled_from([None, "Ringing", "In Progress", "Call connected", "Missed", "Voicemail"])
pieces = st.lists(
    st.builds(
        lambda seq, result, dur, final, rec: piece(
            seq, result=result, duration_seconds=dur, final=final, recording=Recording(rec) if rec else None
        ),
        seq=st.integers(0, 50), result=results, dur=st.one_of(st.none(), st.integers(0, 3600)),
        final=st.booleans(), rec=st.one_of(st.none(), st.sampled_from(["r1", "r2"])),
    ),
    min_size=1, max_size=6,
)


@given(items=pieces, data=st.data())
def test_merge_order_never_changes_the_outcome(items, data):
    shuffled = data.draw(st.permutations(items))
    assert reduce(merge, items).facts() == reduce(merge, shuffled).facts()


@given(items=pieces)
def test_merging_twice_changes_nothing(items):
    once = reduce(merge, items)
    assert reduce(merge, items, once).facts() == once.facts()


@given(items=pieces)
def test_no_known_value_is_lost(items):
    state = reduce(merge, items)
    if any(p.recording for p in items):
        assert state.recording is not None
    if any(p.result for p in items):
        assert state.result is not None
    assert state.final == any(p.final for p in items)
