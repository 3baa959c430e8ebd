"""Numbers written as text: int64 and double spellings compared with ``google.protobuf.json_format``.

We reject every spelling json_format rejects; a few it accepts only through Python's ``int``/``float``
quirks (surrounding whitespace, ``_`` separators, full-width digits, ``+1``, ``inf``) we reject too,
since no proto3 JSON writer produces them.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf import descriptor_pb2, json_format

from vertex_tuning import JsonFormatError, SupervisedHyperParameters, from_dict


def _theirs(key: str, raw: Any) -> Any:
    """json_format's reading of ``raw`` for an int64 (``negativeIntValue``) or double field, or an exception."""
    try:
        message = json_format.ParseDict({key: raw}, descriptor_pb2.UninterpretedOption())
    except json_format.ParseError as exc:
        return exc
    return getattr(message, "negative_int_value" if key == "negativeIntValue" else "double_value")


@pytest.mark.parametrize("raw", [" 1", "1 ", "1 000", "0x10", "", "1.5", "abc", "1e-1"])
def test_int64_text_json_format_rejects_is_rejected(raw: str) -> None:
    assert isinstance(_theirs("negativeIntValue", raw), Exception)
    with pytest.raises(JsonFormatError, match="epochCount"):
        from_dict(SupervisedHyperParameters, {"epochCount": raw})


@pytest.mark.parametrize("raw", ["1000", "1e3", "1E3", "1.0", "-0", 1e3, "01"])
def test_int64_text_both_accept_reads_the_same(raw: Any) -> None:
    assert from_dict(SupervisedHyperParameters, {"epochCount": raw}).epoch_count == _theirs("negativeIntValue", raw)


@pytest.mark.parametrize("raw", ["\t1", "1\n", "1_000", "\uff11", "+1"])
def test_int64_text_only_python_int_accepts_is_rejected(raw: str) -> None:
    with pytest.raises(JsonFormatError, match="epochCount"):
        from_dict(SupervisedHyperParameters, {"epochCount": raw})


@pytest.mark.parametrize("raw", ["nan", "0x1p3", "one"])
def test_double_text_json_format_rejects_is_rejected(raw: str) -> None:
    assert isinstance(_theirs("doubleValue", raw), Exception)
    with pytest.raises(JsonFormatError, match="learningRateMultiplier"):
        from_dict(SupervisedHyperParameters, {"learningRateMultiplier": raw})


@pytest.mark.parametrize("raw", [" 1.5", "1.5 ", "1_0", "inf", "\uff11"])
def test_double_text_only_python_float_accepts_is_rejected(raw: str) -> None:
    with pytest.raises(JsonFormatError, match="learningRateMultiplier"):
        from_dict(SupervisedHyperParameters, {"learningRateMultiplier": raw})


@pytest.mark.parametrize("raw", ["1.5", "-2e-3", "Infinity", "-Infinity", 0.25])
def test_double_text_both_accept_reads_the_same(raw: Any) -> None:
    ours = from_dict(SupervisedHyperParameters, {"learningRateMultiplier": raw}).learning_rate_multiplier
    assert ours == _theirs("doubleValue", raw)
