"""What every benchmark shares: interleaved rounds, contenders that may be missing, RSS, the table.

A benchmark module exposes ``rows() -> list[Row]``; run directly it prints its rows, and with
``--json`` it prints them as JSON for ``benchmarks/run.py`` (``make bench``), which joins all
of them into one table. Contenders are timed A B C A B C … so machine noise hits all alike.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

GAPIC = "GAPIC"
GENAI = "google-genai"
NOT_INSTALLED = "not installed"
_MODULES = {GAPIC: "google.cloud.aiplatform_v1", GENAI: "google.genai"}
_PACKAGES = {GAPIC: "google-cloud-aiplatform", GENAI: "google-genai"}


def installed(contender: str) -> bool:
    """Whether a competing client (``GAPIC``, ``GENAI``) can be imported here."""
    try:
        return importlib.util.find_spec(_MODULES[contender]) is not None
    except ModuleNotFoundError:
        return False


def package_versions() -> str:
    """Versions of the packages the numbers depend on, for the table's header."""
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in ("httpx", "orjson", "protobuf", *_PACKAGES.values(), "aiohttp"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} {NOT_INSTALLED}")
    return ", ".join(out)


@dataclasses.dataclass
class Row:
    """One line of the results table; cells are already formatted text."""

    measure: str
    ours: str
    gapic: str = ""
    genai: str = ""
    floor: str = ""
    ratio: str = ""
    goal: str = ""
    met: bool | None = None


def cpu_per_call(fn: Callable[[], Any], number: int) -> Callable[[], float]:
    """A sample: process CPU seconds per call of ``fn``, over ``number`` calls."""

    def sample() -> float:
        started = time.process_time()
        for _ in range(number):
            fn()
        return (time.process_time() - started) / number

    return sample


def interleaved(
    cases: dict[str, Callable[[], float]], rounds: int, *, often: Sequence[str] = (), times: int = 1
) -> dict[str, list[float]]:
    """Call each case once per round, in turn, ``rounds`` times; each call returns one sample.

    The cases named in ``often`` (quick ones compared with each other) take turns ``times`` times
    per round, A B A B …, so their ratio rests on more samples than the slow contenders' rounds give.
    """
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for _ in range(times):
            for name in often:
                samples[name].append(cases[name]())
        for name, case in cases.items():
            if name not in often:
                samples[name].append(case())
    return samples


def best(samples: Sequence[float]) -> float:
    """The minimum: the run least disturbed by the rest of the machine."""
    return min(samples)


def median(samples: Sequence[float]) -> float:
    """The median sample."""
    return statistics.median(samples)


def duration(seconds: float) -> str:
    """``seconds`` in the unit that reads best."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def min_med(samples: Sequence[float], fmt: Callable[[float], str] = duration) -> str:
    """``min (median)`` of the samples."""
    return f"{fmt(best(samples))} ({fmt(median(samples))})"


def rss_bytes() -> int:
    """Resident set size of this process now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def emit(rows: list[Row]) -> None:
    """Print ``rows`` as JSON (``--json``, for run.py) or as a table."""
    if "--json" in sys.argv:
        print(json.dumps([dataclasses.asdict(r) for r in rows]))
    else:
        print(table(rows))


def table(rows: list[Row]) -> str:
    """Markdown table of ``rows``."""
    head = f"| measure | vertex-tuning | {GAPIC} | {GENAI} | floor | ratio | goal | met |"
    lines = [head, "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in rows:
        met = "" if r.met is None else ("yes" if r.met else "**no**")
        cells = (r.measure, r.ours, r.gapic, r.genai, r.floor, r.ratio, r.goal, met)
        lines.append("| " + " | ".join(c or "" for c in cells) + " |")
    return "\n".join(lines)


def from_json(data: list[dict[str, Any]]) -> list[Row]:
    """Rows printed by ``emit`` with ``--json``."""
    return [Row(**item) for item in data]
