"""The repository folders the wheel ships as packages: the contract suite and the schema pipeline.

``contract_tests/`` installs as ``vertex_tuning_contract`` and ``tools/`` as ``vertex_tuning_schema``
(pyproject.toml's force-include). An editable install snapshots them into site-packages when it is
made, so a command running from a source checkout takes the checkout's own folder instead: the
folder beside ``src/`` of the ``vertex_tuning`` that runs, never the working directory.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType


def bundled(folder: str, installed: str, *, extra: str, modules: tuple[str, ...] = ()) -> ModuleType:
    """The package ``installed`` (or the checkout's ``folder`` when running from a checkout), its ``modules`` imported.

    Raises ModuleNotFoundError naming ``pip install 'vertex-tuning[EXTRA]'`` when neither imports.
    """
    import vertex_tuning

    package_dir = Path(vertex_tuning.__file__).resolve().parent
    root = package_dir.parent.parent  # a checkout: ROOT/src/vertex_tuning (an installed wheel: site-packages/...)
    names = [installed]
    if package_dir.parent.name == "src" and (root / folder / "__init__.py").is_file():
        if str(root) not in sys.path:
            sys.path.insert(0, str(root))
        names.insert(0, folder)
    missing: ModuleNotFoundError | None = None
    for name in names:
        try:
            package = importlib.import_module(name)
            for module in modules:
                importlib.import_module(f"{name}.{module}")
            return package
        except ModuleNotFoundError as exc:
            missing = missing or exc
    raise ModuleNotFoundError(
        f"{installed} is not installed ({missing}): pip install 'vertex-tuning[{extra}]'"
    ) from None
