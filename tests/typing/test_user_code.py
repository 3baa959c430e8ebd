"""The type-checked user code (``user_code.py``, run by ``make typecheck``) calls every generated method."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from vertex_tuning_protos import _services


def test_user_code_calls_every_generated_method_of_both_clients() -> None:
    tree = ast.parse((Path(__file__).parent / "user_code.py").read_text(encoding="utf-8"))
    called = {node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call)
              and isinstance(node.func, ast.Attribute)}
    generated = {
        name
        for cls in vars(_services).values()
        if inspect.isclass(cls) and cls.__module__ == _services.__name__
        for name, member in vars(cls).items()
        if inspect.isfunction(member)
    }
    assert generated, "no generated methods found"
    assert generated <= called, f"not called in user_code.py: {sorted(generated - called)}"
