"""JSON parse+serialize of a fully populated TuningJob (50 example Contents), against json_format.

Run: .venv/bin/python benchmarks/bench_json_codec.py
Baselines, measured in the same process: google.protobuf.json_format (upb) dict and text round
trips, betterproto2's own to_dict/from_dict, and plain json.loads/dumps of the same document.
"""

from __future__ import annotations

import contextlib
import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
from fixtures import full_tuning_job, protobuf_classes
from google.protobuf import json_format
from google.protobuf.internal import api_implementation

from vertex_tuning import TuningJob, _json
from vertex_tuning._message_methods import betterproto2_methods


def best_of(fn: Callable[[], Any], repeat: int = 7, number: int = 20) -> float:
    """Best mean seconds per call over ``repeat`` runs of ``number`` calls."""
    return min(timeit.repeat(fn, repeat=repeat, number=number)) / number


def main() -> None:
    doc = full_tuning_job()
    text = json.dumps(doc)
    raw = text.encode()
    pb_cls = protobuf_classes()["google.cloud.aiplatform.v1.TuningJob"]
    # Any needs its packed type in the same pool as the TuningJob it sits in.
    ours = _json.loads(TuningJob, raw)
    assert json_format.ParseDict(_json.to_dict(ours), pb_cls(), descriptor_pool=pb_cls.DESCRIPTOR.file.pool) == (
        json_format.Parse(text, pb_cls(), descriptor_pool=pb_cls.DESCRIPTOR.file.pool))
    pool = pb_cls.DESCRIPTOR.file.pool

    cases = {
        "vertex_tuning bytes round trip (orjson + codec)": lambda: _json.dumps(_json.loads(TuningJob, raw)),
        "vertex_tuning dict round trip (from_dict + to_dict)": lambda: _json.to_dict(_json.from_dict(TuningJob, doc)),
        "json_format dict round trip (ParseDict + MessageToDict)": lambda: json_format.MessageToDict(
            json_format.ParseDict(doc, pb_cls(), descriptor_pool=pool), descriptor_pool=pool),
        "json_format text round trip (Parse + MessageToJson)": lambda: json_format.MessageToJson(
            json_format.Parse(text, pb_cls(), descriptor_pool=pool), descriptor_pool=pool),
        "betterproto2 0.10 own (from_dict + to_dict, lossy)": lambda: TuningJob.from_dict(doc).to_dict(),
        "plain json.loads + json.dumps (no typing at all)": lambda: json.dumps(json.loads(text)),
        "plain orjson.loads + orjson.dumps": lambda: orjson.dumps(orjson.loads(raw)),
    }
    baseline_name = "json_format dict round trip (ParseDict + MessageToDict)"
    times = {}
    for name, fn in cases.items():
        # The classes' own methods are the codec's; the betterproto2 case times betterproto2's originals.
        own = betterproto2_methods() if name.startswith("betterproto2") else contextlib.nullcontext()
        try:
            with own:
                times[name] = best_of(fn)
        except Exception as exc:  # noqa: BLE001 - betterproto2's own codec may reject what the API sends
            print(f"{name:58s}  failed: {type(exc).__name__}: {exc}")
    base = times[baseline_name]
    print(f"protobuf backend: {api_implementation.Type()}; document: {len(raw):,} bytes")
    for name, t in times.items():
        print(f"{name:58s} {t * 1e3:8.3f} ms   {base / t:5.2f}x the speed of json_format dict")


if __name__ == "__main__":
    main()
