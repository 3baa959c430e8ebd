"""Client CPU per ``get_tuning_job`` at 1, 10, 100 and 1,000 example Contents in the job.

The loopback server runs in its own process, so ``time.process_time()`` here is the client's
CPU only. Floor: ``httpx.Client.get`` + ``orjson.loads`` of the same body (no typing at all).
Also timed: GAPIC's REST client and google-genai. Contenders alternate, round after round; ours
and the floor four times a round (20 samples each), Google's clients once (5).

The client reads responses lazily (nested messages are decoded on first read), so a second
row per size times the same call followed by reading every field (``decode_all``): what a
caller pays who walks the whole job, against the same floor and Google's (eager) clients.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import contenders
import httpx
import orjson
from harness import GAPIC, GENAI, NOT_INSTALLED, Row, best, cpu_per_call, emit, installed, interleaved, min_med
from loopback import served

from vertex_tuning._json import decode_all

ROUNDS = 5
SIZES = {1: 100, 10: 50, 100: 10, 1000: 2}  # example Contents -> calls per round
GOAL = 1.3
# Ours and the floor are quick, and their ratio is the goal: they take turns more often than Google's clients.
QUICK, QUICK_TIMES = ("floor", "ours", "ours, every field read"), 4



def rows() -> list[Row]:
    """One row per job size: CPU per call of each contender, ratio against the floor."""
    out = []
    with served() as url, httpx.Client() as http, contenders.ours(url) as ours:
        gapic = contenders.gapic(url) if installed(GAPIC) else None
        genai = contenders.genai(url) if installed(GENAI) else None
        for examples, number in SIZES.items():
            name = f"projects/{contenders.PROJECT}/locations/{contenders.LOCATION}/tuningJobs/{examples}"
            full = f"{url}/v1/{name}"
            cases: dict[str, Callable[[], Any]] = {
                "floor": lambda full=full: orjson.loads(http.get(full).content),
                "ours": lambda name=name: ours.get_tuning_job(name=name),
                "ours, every field read": lambda name=name: decode_all(ours.get_tuning_job(name=name)),
            }
            if gapic is not None:
                cases[GAPIC] = lambda name=name: gapic.get_tuning_job(name=name)
            if genai is not None:
                cases[GENAI] = lambda name=name: genai.tunings.get(name=name)
            for fn in cases.values():  # warm connections and per-class plans
                fn()
            size = len(http.get(full).content)
            samples = interleaved({k: cpu_per_call(fn, number) for k, fn in cases.items()}, ROUNDS,
                                  often=QUICK, times=QUICK_TIMES)
            ratio = best(samples["ours"]) / best(samples["floor"])
            cells = {k: min_med(v) for k, v in samples.items()}
            out.append(Row(
                f"`get_tuning_job` client CPU per call, {examples} example Contents ({size:,} B)",
                cells["ours"], cells.get(GAPIC, NOT_INSTALLED), cells.get(GENAI, NOT_INSTALLED), cells["floor"],
                f"{ratio:.2f}× floor", f"≤ {GOAL}× floor", ratio <= GOAL,
            ))
            full_ratio = best(samples["ours, every field read"]) / best(samples["floor"])
            out.append(Row(
                f"the same, then every field read (`decode_all`), {examples} example Contents",
                cells["ours, every field read"], cells.get(GAPIC, NOT_INSTALLED), cells.get(GENAI, NOT_INSTALLED),
                cells["floor"], f"{full_ratio:.2f}× floor", "(no goal: what lazy reading defers)", None,
            ))
    return out


if __name__ == "__main__":
    emit(rows())
