"""The seed documents (release 2.155.0 of the Python page and its REST page) as a fixed copy, and their plan.

Tests that edit the seed's own text read it here, not from ``protos/sources/`` (which holds whichever
version was last regenerated): ``tests/data/seed_documents`` is a byte-for-byte copy of the seed (as is
``../shared/api-docs``), carried with the tests so a scratch copy of the repository has it too. Their IR
and field-number lock are planned from the same copy, so such a test holds whatever version the tree
itself is regenerated from.
"""

from __future__ import annotations

import copy
import json
import shutil
from functools import cache
from pathlib import Path
from typing import Any

from tools.regen import Options, Plan, plan

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "data" / "seed_documents"
REST = next(SEED.glob("001_*.txt")).name
PYTHON = next(SEED.glob("000_*.txt")).name


def copy_seed(dest: Path) -> Path:
    """``dest`` holding a copy of both seed documents."""
    dest.mkdir(parents=True, exist_ok=True)
    for src in SEED.glob("*.txt"):
        shutil.copy(src, dest / src.name)
    return dest


@cache
def _seed_plan() -> Plan:
    return plan(SEED, None, {}, Options(accept_breaking=True))


def seed_ir() -> dict[str, Any]:
    """The IR planned from the seed documents alone (a fresh copy per call)."""
    return copy.deepcopy(_seed_plan().ir)


def seed_lock() -> dict[str, Any]:
    """The field-number lock planned with the seed IR (a fresh copy per call)."""
    return json.loads(json.dumps(_seed_plan().lock.to_json()))
