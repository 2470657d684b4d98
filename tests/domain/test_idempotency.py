import pytest
from hypothesis import given
from hypothesis import strategies as st

from callbridge.domain.idempotency import MAX_KEY_LENGTH, idempotency_key

parts = st.lists(st.text(min_size=0, max_size=80), min_size=1, max_size=4)


@given(a=parts, b=parts)
def test_same_work_same_key_different_work_different_key(a, b):
    ka, kb = idempotency_key("log", *a), idempotency_key("log", *b)
    assert (ka == kb) == (a == b)


@given(p=parts)
def test_keys_fit_the_column(p):
    assert len(idempotency_key("archive", *p)) <= MAX_KEY_LENGTH


def test_separator_inside_a_part_cannot_collide():
    assert idempotency_key("k", "a:b", "c") != idempotency_key("k", "a", "b:c")


@pytest.mark.parametrize("kind", ["", "a:b"])
def test_bad_kind_is_refused(kind):
    with pytest.raises(ValueError, match="kind"):
        idempotency_key(kind, "x")


def test_a_key_needs_parts():
    with pytest.raises(ValueError, match="at least one part"):
        idempotency_key("k")
