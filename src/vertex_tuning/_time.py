"""Nanosecond-exact Timestamp and Duration values that are still ``datetime``/``timedelta``.

betterproto2 exposes ``google.protobuf.Timestamp`` fields as ``datetime`` and ``Duration``
fields as ``timedelta``, both microsecond types. These subclasses carry the remaining
nanoseconds so a value read from the API is written back unchanged.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Self

UTC = _dt.UTC
_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_MIN_SECONDS = -62135596800  # 0001-01-01T00:00:00Z
_MAX_SECONDS = 253402300799  # 9999-12-31T23:59:59Z
_MAX_DURATION_SECONDS = 315576000000
_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_DURATION = re.compile(r"(-)?(\d+)(?:\.(\d{1,9}))?s")


class Timestamp(_dt.datetime):
    """A UTC ``datetime`` with nanosecond precision (``nanosecond`` is 0–999 beyond ``microsecond``)."""

    __slots__ = ("_nanosecond",)  # no instance dict: a kept job holds four of these
    _nanosecond: int

    def __new__(cls, *args: Any, nanosecond: int = 0, **kwargs: Any) -> Self:
        self = super().__new__(cls, *args, **kwargs)
        if not 0 <= nanosecond <= 999:
            raise ValueError("nanosecond must be in 0..999")
        self._nanosecond = nanosecond
        return self

    @property
    def nanosecond(self) -> int:
        """Nanoseconds beyond ``microsecond`` (0–999)."""
        return self._nanosecond

    @classmethod
    def from_epoch(cls, seconds: int, nanos: int) -> Timestamp:
        """The instant ``seconds`` + ``nanos`` after the Unix epoch, in UTC."""
        base = _EPOCH + _dt.timedelta(seconds=seconds, microseconds=nanos // 1000)
        return cls(base.year, base.month, base.day, base.hour, base.minute, base.second, base.microsecond,
                   tzinfo=UTC, nanosecond=nanos % 1000)

    def epoch(self) -> tuple[int, int]:
        """``(seconds, nanos)`` since the Unix epoch, as in ``google.protobuf.Timestamp``."""
        return epoch_of(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _dt.datetime):
            return NotImplemented
        return _dt.datetime.__eq__(self, other) is True and self._nanosecond == getattr(other, "nanosecond", 0)

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash((_dt.datetime.__hash__(self), self._nanosecond))

    def __repr__(self) -> str:
        return f"Timestamp({format_timestamp(self)!r})"

    def __reduce__(self) -> Any:
        return (Timestamp.from_epoch, self.epoch())

    def __reduce_ex__(self, protocol: Any) -> Any:
        # datetime's own __reduce_ex__ would win over __reduce__ and drop the nanoseconds.
        return self.__reduce__()


class Duration(_dt.timedelta):
    """A ``timedelta`` with nanosecond precision (``nanoseconds`` is 0–999 beyond ``microseconds``)."""

    __slots__ = ("_nanoseconds",)
    _nanoseconds: int

    def __new__(cls, *args: Any, nanoseconds: int = 0, **kwargs: Any) -> Self:
        self = super().__new__(cls, *args, **kwargs)
        self._nanoseconds = nanoseconds
        return self

    @property
    def nanoseconds(self) -> int:
        """Nanoseconds beyond ``microseconds`` (0–999)."""
        return self._nanoseconds

    @classmethod
    def from_nanos(cls, total: int) -> Duration:
        """A duration of ``total`` nanoseconds."""
        micros, nanos = divmod(total, 1000)
        self = _dt.timedelta.__new__(cls, 0, 0, micros)  # not through __new__'s keywords: read by the thousand
        self._nanoseconds = nanos
        return self

    def total_nanos(self) -> int:
        """The whole duration in nanoseconds."""
        return nanos_of_duration(self)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _dt.timedelta):
            return NotImplemented
        return nanos_of_duration(self) == nanos_of_duration(other)

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(nanos_of_duration(self))

    def __repr__(self) -> str:
        return f"Duration({format_duration(self)!r})"

    def __reduce__(self) -> Any:
        return (Duration.from_nanos, (self.total_nanos(),))


def epoch_of(value: _dt.datetime) -> tuple[int, int]:
    """Seconds and nanoseconds since the epoch of any aware (or naive-as-UTC) datetime."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    delta = value - _EPOCH
    seconds = delta.days * 86400 + delta.seconds
    return seconds, delta.microseconds * 1000 + getattr(value, "nanosecond", 0)


def nanos_of_duration(value: _dt.timedelta) -> int:
    """Total nanoseconds of any ``timedelta``."""
    micros = (value.days * 86400 + value.seconds) * 1_000_000 + value.microseconds
    return micros * 1000 + getattr(value, "nanoseconds", 0)


def _fraction(nanos: int) -> str:
    if nanos == 0:
        return ""
    if nanos % 1_000_000 == 0:
        return f".{nanos // 1_000_000:03d}"
    if nanos % 1000 == 0:
        return f".{nanos // 1000:06d}"
    return f".{nanos:09d}"


def format_timestamp(value: _dt.datetime) -> str:
    """RFC 3339 UTC text with 0, 3, 6 or 9 fractional digits, as proto3 JSON writes it."""
    seconds, nanos = epoch_of(value)
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
        raise ValueError("timestamp out of range 0001-01-01..9999-12-31")
    utc = value.astimezone(UTC) if value.tzinfo is not None else value
    return f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}" + (
        _fraction(nanos) + "Z"
    )


def parse_timestamp(text: str) -> Timestamp:
    """Parse RFC 3339 text (``Z`` or an offset, up to nine fractional digits) exactly."""
    m = _TIMESTAMP.fullmatch(text)
    if not m:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second = (int(g) for g in m.groups()[:6])
    frac = (m.group(7) or "").ljust(9, "0")
    nanos = int(frac)
    try:
        if not m.group(9):  # UTC ("Z"), as servers write it: every valid date is in range, no epoch round trip
            # Not through Timestamp.__new__'s keywords: a response holds several, a listing thousands.
            ts = _dt.datetime.__new__(Timestamp, year, month, day, hour, minute, second, nanos // 1000, UTC)
            ts._nanosecond = nanos % 1000
            return ts
        base = _dt.datetime(year, month, day, hour, minute, second, tzinfo=UTC)
    except ValueError as exc:
        raise ValueError(f"not a valid date or time: {text!r} ({exc})") from None
    delta = base - _EPOCH
    seconds = delta.days * 86400 + delta.seconds
    if m.group(9):
        offset = int(m.group(10)) * 3600 + int(m.group(11)) * 60
        seconds -= offset if m.group(9) == "+" else -offset
    if not _MIN_SECONDS <= seconds <= _MAX_SECONDS:
        raise ValueError(f"timestamp out of range 0001-01-01..9999-12-31: {text!r}")
    return Timestamp.from_epoch(seconds, nanos)


def format_duration(value: _dt.timedelta) -> str:
    """Proto3 JSON duration text such as ``"3.5s"`` or ``"-0.000000001s"``."""
    total = nanos_of_duration(value)
    sign = "-" if total < 0 else ""
    seconds, nanos = divmod(abs(total), 1_000_000_000)
    if seconds > _MAX_DURATION_SECONDS:
        raise ValueError("duration out of range ±315576000000s")
    return f"{sign}{seconds}{_fraction(nanos)}s"


def parse_duration(text: str) -> Duration:
    """Parse proto3 JSON duration text exactly."""
    m = _DURATION.fullmatch(text)
    if not m:
        raise ValueError(f"not a duration like '3.5s': {text!r}")
    seconds = int(m.group(2))
    if seconds > _MAX_DURATION_SECONDS:
        raise ValueError(f"duration out of range ±315576000000s: {text!r}")
    total = seconds * 1_000_000_000 + int((m.group(3) or "").ljust(9, "0"))
    return Duration.from_nanos(-total if m.group(1) else total)
