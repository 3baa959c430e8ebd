"""Memory per kept TuningJob, listing time 1k vs 10k jobs, and a 100,000-job listing streamed.

Every sample is a fresh process (``--child CONTENDER N MODE``) listing from the loopback
server, 1,000 jobs a page, each job fully populated with one example Content. ``keep``: RSS
after listing 10,000 (and ``gc.collect()``) minus RSS before, per job, and the CPU time of the
first 1,000 jobs and of all 10,000 in that same process (their ratio: how listing time grows);
``stream``: iterate without keeping, RSS growth between job 10,000 and the last.
Contenders alternate round after round: ours, GAPIC's REST client, google-genai.

How the streaming row samples RSS: resident pages from ``/proc/self/statm``, read at the last
job of every page (that page's items still alive, the next not yet requested), in a fresh
process after a one-page warm-up. It reports the growth from the sample at job 10,000 to the
last, the largest sample after job 10,000 (a rise that fell back), the growth over the second
half (zero once RSS has plateaued) and the peak (``VmHWM``, which sees inside a page's decoding),
each run separately; the goal is judged on the worst run. ``--stream`` runs only that row.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contenders
from harness import GAPIC, GENAI, NOT_INSTALLED, Row, emit, installed, interleaved, median, rss_bytes
from loopback import served

ROUNDS = 3
SMALL, LARGE, STREAM = 1_000, 10_000, 100_000
STREAM_RUNS = 2
PAGE = 1000
LINEAR_GOAL = 11.0
FLAT_MIB = 8.0


_CLIENTS: list[Any] = []  # a pager may not keep its client alive (google-genai's closes its pool when collected)


def _iterate(contender: str, url: str, total: int) -> Any:
    parent = f"projects/list-{total}/locations/{contenders.LOCATION}"
    if contender == "ours":
        _CLIENTS.append(contenders.ours(url))
        return _CLIENTS[-1].list_tuning_jobs(parent=parent, page_size=PAGE)
    if contender == GAPIC:
        _CLIENTS.append(contenders.gapic(url))
        return _CLIENTS[-1].list_tuning_jobs(request={"parent": parent, "page_size": PAGE})
    _CLIENTS.append(contenders.genai(url, project=f"list-{total}"))
    return _CLIENTS[-1].tunings.list(config={"page_size": PAGE})


def child(contender: str, url: str, total: int, mode: str) -> dict[str, float]:
    """Runs in the fresh process: list ``total`` jobs, keeping them or not; report RSS and time."""
    for _ in _iterate(contender, url, PAGE):  # warm up: imports, connections, per-class plans
        pass
    gc.collect()
    before = rss_bytes()
    if mode == "stream":
        samples = [rss_bytes() for i, _ in enumerate(_iterate(contender, url, total), 1) if i % PAGE == 0]
        at_10k = samples[LARGE // PAGE - 1]
        return {
            "growth": samples[-1] - at_10k,
            "most": max(samples[LARGE // PAGE - 1:]) - at_10k,
            "second_half": samples[-1] - samples[len(samples) // 2 - 1],
            "start": at_10k - before,
            "peak": _peak_rss() - before,
        }
    started = time.process_time()
    kept = []
    first = 0.0
    for job in _iterate(contender, url, total):
        kept.append(job)
        if len(kept) == SMALL:
            first = time.process_time() - started
    cpu = time.process_time() - started
    gc.collect()
    assert len(kept) == total
    return {"cpu": cpu, "first": first, "per_job": (rss_bytes() - before) / total}


def _peak_rss() -> int:
    """The most this process has had resident so far (``VmHWM``, Linux)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))


def _stream_row(url: str) -> Row:
    """Streaming ``STREAM`` jobs without keeping them, ``STREAM_RUNS`` fresh processes."""
    runs = [_spawn("ours", url, STREAM, "stream") for _ in range(STREAM_RUNS)]

    def mib(key: str) -> str:
        return " / ".join(f"{r[key] / 2**20:+.1f}" for r in runs)

    worst = max(abs(r["growth"]) for r in runs) / 2**20
    text = (
        f"{mib('growth')} MiB (largest after job 10,000: {mib('most')}; second half: {mib('second_half')}; "
        f"at job 10,000: {mib('start')}, peak {mib('peak')} above the start; {len(runs)} runs, each a fresh process)"
    )
    return Row(f"streaming a {STREAM:,}-job listing: RSS growth from job 10,000 to the last", text,
               goal=f"flat (≤ {FLAT_MIB:.0f} MiB)", met=worst <= FLAT_MIB)


def _spawn(contender: str, url: str, total: int, mode: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", contender, url, str(total), mode],
        capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def rows() -> list[Row]:
    """Per-job memory, 10k/1k listing time ratio and streaming RSS growth."""
    names = ["ours"] + [c for c in (GAPIC, GENAI) if installed(c)]
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with served() as url:
        def case(name: str, total: int) -> Any:
            def run() -> float:
                results.setdefault((name, total), []).append(_spawn(name, url, total, "keep"))
                return 0.0
            return run

        if "--stream" in sys.argv:
            return [_stream_row(url)]
        interleaved({n: case(n, LARGE) for n in names}, ROUNDS)
        stream = _stream_row(url)

    def kib(name: str) -> str:
        if (name, LARGE) not in results:
            return NOT_INSTALLED
        per_job = [r["per_job"] / 1024 for r in results[(name, LARGE)]]
        return f"{min(per_job):.1f} KiB ({median(per_job):.1f})"

    def growth(name: str) -> tuple[str, float | None]:
        # The first 1,000 and all 10,000 in the same process: a separate 1k process is too short a
        # sample on a shared machine (0.15–0.24 s for the same code), and a min over such runs is luck.
        if (name, LARGE) not in results:
            return NOT_INSTALLED, None
        runs = sorted(results[(name, LARGE)], key=lambda r: r["cpu"] / r["first"])
        mid = runs[len(runs) // 2]
        ratios = ", ".join(f"×{r['cpu'] / r['first']:.1f}" for r in runs)
        return f"{ratios} (median run: {mid['first']:.2f} s → {mid['cpu']:.2f} s)", mid["cpu"] / mid["first"]

    ours_kib = min(r["per_job"] for r in results[("ours", LARGE)])
    gapic_kib = min(r["per_job"] for r in results[(GAPIC, LARGE)]) if (GAPIC, LARGE) in results else None
    ratio = ours_kib / gapic_kib if gapic_kib else None
    ours_growth = growth("ours")
    return [
        Row(f"memory per kept TuningJob ({LARGE:,} listed and kept, RSS)", kib("ours"), kib(GAPIC), kib(GENAI), "",
            f"{ratio:.2f}× GAPIC" if ratio else "", "≤ 1.0× GAPIC", None if ratio is None else ratio <= 1.0),
        Row(f"listing CPU, {SMALL:,} → {LARGE:,} jobs kept", ours_growth[0], growth(GAPIC)[0], growth(GENAI)[0], "",
            f"×{ours_growth[1]:.1f}", f"≤ ×{LINEAR_GOAL:.0f}", (ours_growth[1] or 99) <= LINEAR_GOAL),
        stream,
    ]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5])))
    else:
        emit(rows())
