"""Import httpx without its command-line entry point, which loads rich, click and pygments.

``httpx/__init__.py`` does ``from ._main import main`` for its ``httpx`` console command, so a
client that merely imports httpx pays ~0.1 s for three CLI libraries whenever they are
installed. Here ``httpx._main`` is stood in by a module whose ``main`` loads the real one
when called, and the stand-in is removed as soon as httpx is imported, so a later
``import httpx._main`` gets the real module.
"""

from __future__ import annotations

import sys
import types
from typing import Any

_MAIN = "httpx._main"


def _main(*args: Any, **kwargs: Any) -> Any:
    if isinstance(sys.modules.get(_MAIN), _Stub):
        del sys.modules[_MAIN]
    from httpx._main import main

    return main(*args, **kwargs)


class _Stub(types.ModuleType):
    main = staticmethod(_main)


def import_httpx() -> None:
    """Import httpx (once) without loading its CLI."""
    if "httpx" in sys.modules or _MAIN in sys.modules:
        return
    sys.modules[_MAIN] = _Stub(_MAIN)
    try:
        import httpx  # noqa: F401
    finally:
        if isinstance(sys.modules.get(_MAIN), _Stub):
            del sys.modules[_MAIN]
