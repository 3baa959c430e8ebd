"""Name casings: proto field names (``base_model``), JSON names (``baseModel``), type names (``BaseModel``)."""

from __future__ import annotations

import re

_UPPER = re.compile(r"(?<!^)([A-Z])")


def json_name(proto_name: str) -> str:
    """protoc's default JSON name: drop underscores, upper-case the letter after each."""
    out, upper = [], False
    for ch in proto_name:
        if ch == "_":
            upper = True
        else:
            out.append(ch.upper() if upper else ch)
            upper = False
    return "".join(out)


def snake_name(camel: str) -> str:
    """``tuningJobs`` or ``CancelTuningJob`` as ``tuning_jobs`` / ``cancel_tuning_job``."""
    return _UPPER.sub(r"_\1", camel).lower()


def pascal_name(name: str) -> str:
    """``tuningJobs`` or ``tuning_jobs`` as ``TuningJobs``: upper-case the first letter of each part."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_"))
