"""Render the public names of the schema: ``vertex_tuning_protos/_public.py`` and ``_public_names.py``.

``_public`` imports every message and enum class of the API package (and the shared types the client
hands out) by name, with a literal ``__all__`` that mypy reads; ``_public_names`` holds the same names
without importing any class, for ``import vertex_tuning`` to list them cheaply.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

HEADER = '"""{what} DO NOT EDIT: written by tools/publicgen.py from the documents."""\n'
# The shared types every version's client hands out, with the name each has in vertex_tuning.
SHARED = (
    ("vertex_tuning_protos.google.longrunning", "Operation", "OperationProto"),
    ("vertex_tuning_protos.google.protobuf", "Any", "Any"),
    ("vertex_tuning_protos.google.protobuf", "Empty", "Empty"),
    ("vertex_tuning_protos.google.protobuf", "Struct", "Struct"),
    ("vertex_tuning_protos.google.protobuf", "Value", "Value"),
    ("vertex_tuning_protos.google.rpc", "Status", "Status"),
)


def package_classes(package_dir: Path, package: str) -> list[str]:
    """The class names the betterproto2 module of ``package`` (e.g. google.cloud.aiplatform.v1) lists in its ``__all__``."""
    init = package_dir.joinpath(*package.split("."), "__init__.py")
    for node in ast.parse(init.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            value = ast.literal_eval(node.value)
            return sorted(str(name) for name in value)
    raise ValueError(f"{init} has no __all__")


def public_names(classes: list[str]) -> list[str]:
    """Every public name: the API package's classes and the shared types, sorted."""
    return sorted({*classes, *(alias for _, _, alias in SHARED)})


def render(package_dir: Path, ir: dict[str, Any]) -> dict[str, str]:
    """Source of ``_public.py`` and ``_public_names.py`` for the package just generated under ``package_dir``."""
    classes = package_classes(package_dir, ir["package"])
    names = public_names(classes)
    listed = "".join(f'    "{name}",\n' for name in names)
    imports = [f"from vertex_tuning_protos.{ir['package']} import (\n" + "".join(f"    {c},\n" for c in classes) + ")"]
    for module, name, alias in SHARED:
        imports.append(f"from {module} import {name}" + (f" as {alias}" if alias != name else ""))
    public = (HEADER.format(what="Every public message and enum class of the schema.") + "\n"
              + "\n".join(imports) + "\n\n__all__ = [\n" + listed + "]\n")
    only_names = (HEADER.format(what="The names vertex_tuning_protos._public exports, without importing a class.") + "\n"
                  + "PUBLIC_NAMES: tuple[str, ...] = (\n" + listed + ")\n")
    return {"_public.py": public, "_public_names.py": only_names}
