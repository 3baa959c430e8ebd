"""The proto3 JSON codec against ``json_format`` at 1, 100 and 1,000 example Contents.

Bytes in, bytes out: ours is ``vertex_tuning.loads`` + ``dumps``. The baseline is the faster of
two ways to use protobuf's ``json_format`` (upb backend) for the same job: ``Parse`` +
``MessageToJson``, and ``orjson.loads`` + ``ParseDict`` + ``MessageToDict`` + ``orjson.dumps``.
Cases alternate round after round; every result is checked equal before timing.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import orjson
from fixtures import full_tuning_job, protobuf_classes
from google.protobuf import json_format
from google.protobuf.internal import api_implementation
from harness import Row, best, cpu_per_call, emit, interleaved, min_med

from vertex_tuning import TuningJob, _json

ROUNDS = 7
SIZES = {1: 200, 100: 10, 1000: 2}  # example Contents -> round trips per sample
GOAL = 3.0



def rows() -> list[Row]:
    """One row per size: ours vs the faster json_format path."""
    pb_cls = protobuf_classes()["google.cloud.aiplatform.v1.TuningJob"]
    pool = pb_cls.DESCRIPTOR.file.pool
    out = []
    for examples, number in SIZES.items():
        raw = orjson.dumps(full_tuning_job(examples))
        text = raw.decode()
        theirs = json_format.Parse(text, pb_cls(), descriptor_pool=pool)
        assert json_format.ParseDict(_json.to_dict(_json.loads(TuningJob, raw)), pb_cls(), descriptor_pool=pool) == theirs
        cases = {
            "ours": lambda raw=raw: _json.dumps(_json.loads(TuningJob, raw)),
            "text": lambda text=text: json_format.MessageToJson(json_format.Parse(text, pb_cls(), descriptor_pool=pool),
                                                      descriptor_pool=pool),
            "dict": lambda raw=raw: orjson.dumps(json_format.MessageToDict(
                json_format.ParseDict(orjson.loads(raw), pb_cls(), descriptor_pool=pool), descriptor_pool=pool)),
        }
        samples = interleaved({k: cpu_per_call(fn, number) for k, fn in cases.items()}, ROUNDS)
        base = "text" if best(samples["text"]) < best(samples["dict"]) else "dict"
        speed = best(samples[base]) / best(samples["ours"])
        label = "Parse + MessageToJson" if base == "text" else "orjson + ParseDict + MessageToDict"
        out.append(Row(
            f"codec round trip (bytes → TuningJob → bytes), {examples} example Contents ({len(raw):,} B)",
            min_med(samples["ours"]), "", "", f"json_format ({label}, {api_implementation.Type()}): "
            f"{min_med(samples[base])}", f"{speed:.2f}× json_format's speed", f"≥ {GOAL:.0f}×", speed >= GOAL,
        ))
    return out


if __name__ == "__main__":
    emit(rows())
