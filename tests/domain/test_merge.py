from hypothesis import given
from hypothesis import strategies as st

from callbridge.domain.merge import merge_body, merge_fields, parse_sections, render_section


def test_fields_we_wrote_are_updated_and_a_persons_edit_is_kept():
    last = {"subject": "Call with Ada", "duration": 60, "recording": None}
    current = {"subject": "Ada: pricing question", "duration": "60", "recording": None}
    desired = {"subject": "Call with Ada (2 min)", "duration": 120, "recording": "https://cb/r/1"}
    result = merge_fields(last, current, desired)
    assert result.changes == {"duration": 120, "recording": "https://cb/r/1"}
    assert result.kept == ("subject",)


def test_a_field_we_never_wrote_is_set_only_while_empty():
    assert merge_fields({}, {"disposition": ""}, {"disposition": "Connected"}).changes == {
        "disposition": "Connected"
    }
    kept = merge_fields({}, {"disposition": "Wrong number"}, {"disposition": "Connected"})
    assert kept.changes == {} and kept.kept == ("disposition",)


def test_nothing_to_do_when_the_crm_already_holds_what_we_want():
    assert merge_fields({"a": 1}, {"a": "2"}, {"a": 2}).changes == {}


def test_body_sections_merge_and_a_persons_notes_outside_them_stay():
    ours = render_section("summary", "Inbound call, 1 min") + "\n\n" + render_section("recording", "none")
    current = "Customer wants a quote!\n\n" + ours
    desired = {"summary": "Inbound call, 2 min", "recording": "https://cb/r/1"}
    merged = merge_body(ours, current, desired)
    assert merged.startswith("Customer wants a quote!")
    assert parse_sections(merged) == desired


def test_a_section_a_person_rewrote_is_theirs():
    ours = render_section("summary", "Inbound call, 1 min")
    current = render_section("summary", "Inbound call; they asked about renewal")
    assert merge_body(ours, current, {"summary": "Inbound call, 2 min"}) is None


def test_new_sections_are_appended_and_deleted_ones_stay_deleted():
    ours = render_section("summary", "s") + "\n\n" + render_section("notes", "n")
    current = render_section("summary", "s")  # a person deleted our notes section
    merged = merge_body(ours, current, {"summary": "s", "notes": "n2", "ai": "summary text"})
    assert parse_sections(merged) == {"summary": "s", "ai": "summary text"}


text = st.text(alphabet=st.characters(blacklist_characters="[]"), max_size=40)


@given(person=text, a=text, b=text)
def test_merging_never_loses_text_a_person_typed(person, a, b):
    ours = render_section("summary", a)
    current = f"{person}\n\n{ours}" if person.strip() else ours
    merged = merge_body(ours, current, {"summary": b}) or current
    assert person.strip() in merged
    assert parse_sections(merged)["summary"] == b
