"""``@covers``: a test declares which documented elements (see ``_spec.elements``) it checks."""

from __future__ import annotations

import pytest

COVERS = "covers"


def covers(*element_ids: str, negative: bool = False) -> pytest.MarkDecorator:
    """Mark a test (or one ``pytest.param``) as a positive or negative check of the given elements."""
    decorator: pytest.MarkDecorator = getattr(pytest.mark, COVERS)(*element_ids, negative=negative)
    return decorator
