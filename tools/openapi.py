"""Build the OpenAPI 3.1 document from the descriptors (placeholder, filled below)."""
from __future__ import annotations
from typing import Any
def build(data: bytes, ir: dict[str, Any]) -> dict[str, Any]:
    return {}
