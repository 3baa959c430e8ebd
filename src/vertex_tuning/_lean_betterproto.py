"""Import betterproto2 without the two imports it makes for things this package never uses.

``betterproto2/__init__.py`` (0.10) pays, on import, for:

* ``import pydantic, pydantic_core`` (inside ``try/except ImportError``), only to validate
  messages generated as pydantic dataclasses; ours are plain dataclasses. When pydantic is
  installed (typer, the CLI's dependency, requires it) that is ~45 ms.
* ``betterproto2._version``: ``importlib.metadata.version("betterproto2")`` for ``__version__``,
  ~40 ms, nearly all of it importing ``importlib.metadata`` (email, zipfile, pathlib, csv).

``import_betterproto2()`` imports betterproto2 with a meta-path finder that acts only in the
importing thread and only for those names (other threads and later imports are untouched):

* ``pydantic``/``pydantic_core`` are reported missing, so betterproto2 binds ``None``; its
  module-level ``pydantic`` is then rebound to ``_PydanticProbe``, which answers
  "is this class a pydantic dataclass?" exactly (no class can be one unless
  ``pydantic.dataclasses`` has been imported), so pydantic-dataclass messages generated
  elsewhere in the same process are still validated.
* ``betterproto2._version`` is a module with the same two names: ``__version__`` read from the
  ``.dist-info`` that sits beside the installed package (what ``importlib.metadata`` reads in a
  normal install), and ``check_compiler_version``, which defers to the real function whenever
  the versions differ, so a mismatch raises betterproto2's own error.

Whenever anything is not as expected (betterproto2 already imported, no single ``.dist-info``
beside it, an import that fails with the stand-ins, a betterproto2 whose globals differ), the plain
``import betterproto2`` happens instead.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import sys
import threading
import types
from collections.abc import Sequence
from typing import Any

_DIST = "betterproto2"
_VERSION = "betterproto2._version"
_HIDDEN = frozenset({"pydantic", "pydantic_core"})


def _real_version_module() -> types.ModuleType:
    """betterproto2's own ``_version`` module, executed under a private name."""
    origin = os.path.join(os.path.dirname(sys.modules[_DIST].__file__ or ""), "_version.py")
    spec = importlib.util.spec_from_file_location("_vertex_tuning_betterproto2_version", origin)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _major_minor(version: str) -> tuple[int, ...]:
    return tuple(int(x) for x in version.split(".")[:2])


def _installed_version(package_dir: str) -> str | None:
    """The Version of the one ``betterproto2-*.dist-info`` beside the package, else None."""
    site = os.path.dirname(package_dir)
    try:
        infos = [n for n in os.listdir(site) if n.startswith(f"{_DIST}-") and n.endswith(".dist-info")]
    except OSError:
        return None
    if len(infos) != 1:
        return None
    name = version = None
    try:
        with open(os.path.join(site, infos[0], "METADATA"), encoding="utf-8") as f:
            for line in f:
                if not line.strip():
                    break  # end of the headers
                key, _, value = line.partition(":")
                if key == "Name":
                    name = value.strip()
                elif key == "Version":
                    version = value.strip()
    except OSError:
        return None
    return version if name == _DIST else None


class _VersionLoader:
    def __init__(self, version: str) -> None:
        self.version = version

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        version = self.version

        def check_compiler_version(compiler_version: str) -> None:
            """Checks that the compiled files can be used with this version of the library."""
            if _major_minor(version) != _major_minor(compiler_version):
                _real_version_module().check_compiler_version(compiler_version)

        module.__version__ = version  # type: ignore[attr-defined]
        module.check_compiler_version = check_compiler_version  # type: ignore[attr-defined]


class _Finder:
    def __init__(self, package_dir: str, version: str) -> None:
        self.thread = threading.get_ident()
        self.package_dir = package_dir
        self.version = version

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if threading.get_ident() != self.thread:
            return None
        if fullname in _HIDDEN:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        if fullname == _VERSION:
            origin = os.path.join(self.package_dir, "_version.py")
            # A plain class, not an importlib.abc.Loader: importing importlib.abc costs ~4 ms.
            loader = _VersionLoader(self.version)
            return importlib.util.spec_from_loader(fullname, loader, origin=origin)  # type: ignore[arg-type]
        return None


class _PydanticProbe:
    """Stands in for ``pydantic`` in betterproto2's globals (its only use: ``pydantic.dataclasses``)."""

    class dataclasses:  # mirrors the submodule betterproto2 reads
        @staticmethod
        def is_pydantic_dataclass(klass: type) -> bool:
            module = sys.modules.get("pydantic.dataclasses")
            return module is not None and bool(module.is_pydantic_dataclass(klass))


class _PydanticCoreProbe:
    """Stands in for ``pydantic_core`` in betterproto2's globals; loads the real one when used."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("pydantic_core"), name)


def import_betterproto2() -> None:
    """Import betterproto2 (once) without importing pydantic or ``importlib.metadata``."""
    if _DIST in sys.modules:
        return
    spec = importlib.util.find_spec(_DIST)
    locations = spec.submodule_search_locations if spec is not None else None
    version = _installed_version(locations[0]) if locations else None
    if locations is None or version is None:
        import betterproto2

        return
    finder = _Finder(locations[0], version)
    sys.meta_path.insert(0, finder)
    try:
        import betterproto2
    except ImportError:  # a betterproto2 that wants more than this stands in for: import it plainly
        for name in [m for m in sys.modules if m == _DIST or m.startswith(f"{_DIST}.")]:
            del sys.modules[name]
        sys.meta_path.remove(finder)
        import betterproto2

        return
    finally:
        if finder in sys.meta_path:
            sys.meta_path.remove(finder)
    if betterproto2.pydantic is None and betterproto2.pydantic_core is None:  # type: ignore[attr-defined]
        betterproto2.pydantic = _PydanticProbe()
        betterproto2.pydantic_core = _PydanticCoreProbe()
