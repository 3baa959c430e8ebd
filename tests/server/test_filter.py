"""Tests for the AIP-160 filter subset used by ListTuningJobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vertex_tuning.server.filter import FilterError, compile_filter

JOB_STATES = [
    "JOB_STATE_UNSPECIFIED", "JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING",
    "JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLING", "JOB_STATE_CANCELLED",
    "JOB_STATE_PAUSED", "JOB_STATE_EXPIRED", "JOB_STATE_UPDATING", "JOB_STATE_PARTIALLY_SUCCEEDED",
]
ENUMS = {"state": JOB_STATES}

JOB: dict[str, Any] = {
    "name": "projects/p/locations/l/tuningJobs/1",
    "state": "JOB_STATE_RUNNING",
    "labels": {"team": "nlp", "empty": ""},
    "baseModel": "gemini-1.0-pro-002",
    "createTime": "2026-11-25T10:00:00.123456789Z",
    "tunedModelDisplayName": 'say "hi"',
}


def matches(text: str, job: dict[str, Any] = JOB) -> bool:
    return compile_filter(text, enum_values=ENUMS)(job)


def test_empty_or_whitespace_filter_accepts_everything() -> None:
    assert compile_filter("")({})
    assert compile_filter("  \n\t ")(JOB)


def test_state_compares_full_enum_names() -> None:
    assert matches("state = JOB_STATE_RUNNING")
    assert not matches("state = JOB_STATE_FAILED")
    assert matches("state != JOB_STATE_FAILED")
    assert matches('state = "JOB_STATE_RUNNING"')


def test_short_enum_name_accepted() -> None:
    assert matches("state = RUNNING")
    assert not matches("state != RUNNING")
    # SUCCEEDED means JOB_STATE_SUCCEEDED, not any value ending in _SUCCEEDED.
    assert not matches("state = SUCCEEDED", {"state": "JOB_STATE_PARTIALLY_SUCCEEDED"})
    assert matches("state = PARTIALLY_SUCCEEDED", {"state": "JOB_STATE_PARTIALLY_SUCCEEDED"})


def test_unknown_enum_value_is_an_error_naming_only_the_value() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter("state = BOGUS", enum_values=ENUMS)
    message = str(info.value)
    assert "'BOGUS' is not a JobState value" in message
    assert "column 9" in message
    assert "JOB_STATE_QUEUED" not in message


def test_enum_without_known_values_accepts_any_identifier_literally() -> None:
    predicate = compile_filter("state = ANYTHING_GOES")
    assert predicate({"state": "ANYTHING_GOES"})
    assert not predicate({"state": "JOB_STATE_RUNNING"})


def test_absent_state_means_the_first_enum_value() -> None:
    assert matches("state = JOB_STATE_UNSPECIFIED", {})
    assert matches("state = UNSPECIFIED", {})


def test_state_rejects_ordering_comparisons() -> None:
    with pytest.raises(FilterError, match="only = and !="):
        compile_filter("state < JOB_STATE_RUNNING", enum_values=ENUMS)


def test_snake_and_lower_camel_field_names_are_equivalent() -> None:
    for snake, camel, value in [
        ("base_model", "baseModel", '"gemini-1.0-pro-002"'),
        ("tuned_model_display_name", "tunedModelDisplayName", r'"say \"hi\""'),
        ("create_time", "createTime", '"2026-11-25T10:00:00.123456789Z"'),
    ]:
        assert matches(f"{snake} = {value}")
        assert matches(f"{camel} = {value}")
    assert matches('update_time = "1970-01-01T00:00:00Z"') == matches('updateTime = "1970-01-01T00:00:00Z"')


def test_name_compares_as_a_string_and_accepts_a_bare_word() -> None:
    assert matches("name = projects/p/locations/l/tuningJobs/1")
    assert not matches('name = "projects/p/locations/l/tuningJobs/2"')


def test_quoted_strings_support_backslash_escapes() -> None:
    assert matches(r'tuned_model_display_name = "say \"hi\""')
    assert matches(r'labels.team = "n\lp"')  # unknown escape: the escaped character itself
    assert compile_filter(r'name = "a\\b\nc"')({"name": "a\\b\nc"})
    assert compile_filter(r"name = 'it\'s'")({"name": "it's"})


def test_string_wildcard_suffix_matches_prefix() -> None:
    assert matches('base_model = "gemini-*"')
    assert matches("base_model = gemini-1.0-*")
    assert not matches('base_model = "text-*"')
    assert matches('base_model != "text-*"')
    assert not matches('base_model != "gemini-*"')


def test_escaped_star_is_literal_not_a_wildcard() -> None:
    predicate = compile_filter(r'base_model = "gem\*"')
    assert predicate({"baseModel": "gem*"})
    assert not predicate({"baseModel": "gemini"})


def test_wildcard_with_ordering_operator_is_an_error() -> None:
    with pytest.raises(FilterError, match="wildcard"):
        compile_filter('base_model > "gemini-*"')


def test_string_ordering_is_lexicographic() -> None:
    assert matches('base_model > "gemini-1.0"')
    assert matches('base_model < "gemini-1.5"')
    assert matches('base_model <= "gemini-1.0-pro-002"')
    assert not matches('base_model >= "h"')


def test_absent_string_field_is_empty_string() -> None:
    assert compile_filter('base_model = ""')({})
    assert compile_filter('base_model != "gemini-*"')({})


def test_label_equality_compares_the_value() -> None:
    assert matches("labels.team = nlp")
    assert not matches('labels.team = "vision"')
    assert matches("labels.team != vision")


def test_numbers_compare_as_their_text() -> None:
    assert compile_filter("labels.n = 3")({"labels": {"n": "3"}})
    assert not compile_filter("labels.n = 3")({"labels": {"n": "3.0"}})


def test_absent_label_is_empty_string() -> None:
    assert matches('labels.owner = ""')
    assert matches("labels.owner != nlp")
    assert compile_filter('labels.team = ""')({})


def test_label_has_key() -> None:
    assert matches("labels:team")
    assert matches("labels:empty")  # present with an empty value still has the key
    assert not matches("labels:owner")
    assert not matches("labels:team", {})
    assert matches("-labels:owner")


def test_has_operator_is_only_for_labels() -> None:
    with pytest.raises(FilterError, match="labels:KEY"):
        compile_filter("name:foo")


def test_create_time_compares_at_nanosecond_precision() -> None:
    # One nanosecond apart; floats (~256 ns resolution here) and microseconds would both tie.
    assert matches('create_time > "2026-11-25T10:00:00.123456788Z"')
    assert not matches('create_time > "2026-11-25T10:00:00.123456789Z"')
    assert matches('create_time = "2026-11-25T10:00:00.123456789Z"')
    assert matches('create_time < "2026-11-25T10:00:00.12345679Z"')  # .123456790
    assert not matches('create_time = "2026-11-25T10:00:00.123457Z"')


def test_timestamps_accept_offsets_and_any_fraction_length() -> None:
    assert matches('create_time = "2026-11-25T11:00:00.123456789+01:00"')
    assert matches('create_time = "2026-11-25T05:30:00.123456789-04:30"')
    assert matches('create_time = "2026-11-26T00:00:00.123456789+14:00"')
    assert matches('create_time > "2026-11-25T10:00:00Z"')
    assert matches('create_time < "2026-11-25T10:00:00.2Z"')
    assert compile_filter('create_time = "2026-11-25T10:00:00.1Z"')(
        {"createTime": "2026-11-25T10:00:00.100000000Z"})


def test_absent_timestamp_is_the_epoch() -> None:
    assert compile_filter('update_time = "1970-01-01T00:00:00Z"')({})
    assert compile_filter('update_time < "1970-01-01T00:00:00.000000001Z"')({})


def test_invalid_timestamp_value_is_an_error() -> None:
    for bad in ['"yesterday"', '"2026-02-30T00:00:00Z"', '"2026-11-25T10:00:00"',
                '"2026-11-25T10:00:00.1234567891Z"', '"2026-11-25T24:00:00Z"', "5"]:
        with pytest.raises(FilterError, match="RFC 3339"):
            compile_filter(f"create_time > {bad}")


def test_and_or_and_juxtaposition() -> None:
    assert matches("state = RUNNING AND labels.team = nlp")
    assert not matches("state = RUNNING AND labels.team = vision")
    assert matches("state = FAILED OR labels.team = nlp")
    assert not matches("state = FAILED OR labels.team = vision")


def test_juxtaposition_is_implicit_and() -> None:
    assert matches("state = RUNNING labels.team = nlp")
    assert not matches("state = RUNNING labels.team = vision")
    assert not matches("state=FAILED labels.team=nlp")


def test_or_binds_tighter_than_and() -> None:
    # AIP-160: a AND b OR c == a AND (b OR c); the usual (a AND b) OR c would be true here.
    assert not matches("state = FAILED AND labels.team = vision OR labels:team")
    assert not matches("labels:team OR labels.team = vision AND state = FAILED")
    assert matches("state = RUNNING AND labels.team = vision OR labels:team")


def test_or_binds_tighter_than_juxtaposition() -> None:
    # a b OR c == a AND (b OR c)
    assert not matches("state = FAILED labels.team = vision OR labels:team")
    assert matches("state = RUNNING labels.team = vision OR labels:team")


def test_parentheses_override_precedence() -> None:
    assert matches("(state = FAILED AND labels.team = vision) OR labels:team")
    assert matches("(state = FAILED labels.team = vision) OR labels:team")


def test_not_and_minus_negate() -> None:
    assert not matches("NOT state = RUNNING")
    assert not matches("-state = RUNNING")
    assert matches("NOT state = FAILED")
    assert matches("-labels.team = vision")
    assert not matches("NOT (state = RUNNING OR state = FAILED)")


def test_not_binds_tighter_than_or() -> None:
    # (NOT a) OR b, not NOT (a OR b)
    assert matches("NOT state = RUNNING OR labels:team")
    assert matches("-state = RUNNING OR labels:team")


def test_keywords_are_case_sensitive() -> None:
    with pytest.raises(FilterError):
        compile_filter("state = RUNNING and labels:team", enum_values=ENUMS)
    # An upper-case keyword embedded in a longer name is just a name.
    with pytest.raises(FilterError, match="unknown field 'ANDROID'"):
        compile_filter("state = RUNNING ANDROID = 1")


def test_unknown_field_is_an_error_naming_the_field() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter('state = RUNNING colour = "red"')
    message = str(info.value)
    assert "unknown field 'colour'" in message
    assert "column 17" in message
    for supported in ["base_model", "create_time", "update_time", "name", "state",
                      "tuned_model_display_name", "labels.KEY", "labels:KEY"]:
        assert supported in message


def test_subfields_only_on_labels() -> None:
    with pytest.raises(FilterError, match="no subfields"):
        compile_filter("name.first = x")
    with pytest.raises(FilterError):
        compile_filter("labels.a.b = x")
    with pytest.raises(FilterError):
        compile_filter("labels = x")


def test_unparseable_filter_reports_column() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter("state = JOB_STATE_RUNNING AND = x")
    assert str(info.value).startswith(
        "filter: unexpected token '=' at column 31; expected a field name")


def test_unexpected_end_reports_column_and_expectation() -> None:
    with pytest.raises(FilterError) as info:
        compile_filter("(state = RUNNING")
    assert str(info.value) == "filter: unexpected end of filter at column 17; expected ')'"
    with pytest.raises(FilterError) as info:
        compile_filter("state =")
    assert str(info.value) == "filter: unexpected end of filter at column 8; expected a value"


@pytest.mark.parametrize("text", [
    "=", "state", "state = ", "AND", "state = x AND", "(state = x", "state = x)",
    'name = "unterminated', "state == x", "NOT NOT state = x", "@#$", "state = x OR OR y = z",
])
def test_syntax_errors_are_filter_errors_not_lark_exceptions(text: str) -> None:
    with pytest.raises(FilterError) as info:
        compile_filter(text)
    assert type(info.value) is FilterError
    assert "column" in str(info.value)
    assert info.value.__suppress_context__


def _rfc3339(ns: int, offset_minutes: int, full_digits: bool) -> str:
    """Independent formatter: ns since epoch -> RFC 3339 in the given offset."""
    seconds, frac = divmod(ns, 10**9)
    zone = timezone(timedelta(minutes=offset_minutes))
    local = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    text = local.astimezone(zone).strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{frac:09d}" if full_digits else f"{frac:09d}".rstrip("0")
    sign, minutes = ("-", -offset_minutes) if offset_minutes < 0 else ("+", offset_minutes)
    suffix = "Z" if offset_minutes == 0 else f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text + ("." + digits if digits else "") + suffix


instants = st.integers(-2_000_000_000 * 10**9, 4_000_000_000 * 10**9)
offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59)
timestamps = st.builds(_rfc3339, instants, offsets, st.booleans())
strings = st.sampled_from(["", "nlp", "gemini-1.0-pro-002", "gemini-1.5-flash", "text-bison"])
jobs = st.fixed_dictionaries({}, optional={
    "name": strings, "state": st.sampled_from(JOB_STATES), "baseModel": strings,
    "tunedModelDisplayName": strings, "createTime": timestamps, "updateTime": timestamps,
    "labels": st.dictionaries(st.sampled_from(["team", "env"]), strings, max_size=2),
})
ops = st.sampled_from(["=", "!=", "<", "<=", ">", ">="])
quoted = strings.map(lambda s: f'"{s}"') | st.just('"gemini-*"') | st.just("nlp")
comparisons = st.one_of(
    st.builds("state {} {}".format, st.sampled_from(["=", "!="]),
              st.sampled_from(JOB_STATES + [s.removeprefix("JOB_STATE_") for s in JOB_STATES])),
    st.builds("{} {} {}".format, st.sampled_from(["name", "base_model", "tunedModelDisplayName"]),
              st.sampled_from(["=", "!="]), quoted),
    st.builds("{} {} {}".format, st.sampled_from(["baseModel", "labels.team"]), ops,
              strings.map(lambda s: f'"{s}"')),
    st.builds("labels:{}".format, st.sampled_from(["team", "env", "owner"])),
    st.builds('{} {} "{}"'.format, st.sampled_from(["create_time", "updateTime"]), ops, timestamps),
)


@given(job=jobs, text=comparisons)
def test_not_of_a_comparison_is_its_negation(job: dict[str, Any], text: str) -> None:
    assert compile_filter(f"NOT ({text})", enum_values=ENUMS)(job) == (
        not compile_filter(text, enum_values=ENUMS)(job))


@given(a=instants, b=instants | instants.map(lambda n: n + 1), delta=st.integers(-2, 2),
       offset_a=offsets, offset_b=offsets, full_a=st.booleans(), full_b=st.booleans())
def test_timestamp_comparison_agrees_with_integer_nanoseconds(
    a: int, b: int, delta: int, offset_a: int, offset_b: int, full_a: bool, full_b: bool
) -> None:
    near = a + delta  # exercise instants a few nanoseconds apart as well as far apart
    job = {"createTime": _rfc3339(a, offset_a, full_a)}
    for other in (b, near):
        value = _rfc3339(other, offset_b, full_b)
        assert compile_filter(f'create_time < "{value}"')(job) == (a < other)
        assert compile_filter(f'create_time = "{value}"')(job) == (a == other)
