"""``@covers``: a test declares which documented elements (see ``_spec.elements``) it checks."""

from __future__ import annotations

from typing import Any

import pytest

COVERS = "covers"


def covers(*element_ids: str, negative: bool = False) -> Any:
    """Mark a test (or one ``pytest.param``) as a positive or negative check of the given elements."""
    return getattr(pytest.mark, COVERS)(*element_ids, negative=negative)
