"""vertex-tuning: a client for the Vertex AI TuningJobs API, rebuilt from its reference pages.

Users import everything from here: the clients, errors, resource helpers, message types and
the JSON codec. ``import vertex_tuning`` itself loads only betterproto2 (without pydantic: see
_lean_betterproto); each name loads its module on first use (PEP 562), the message classes and
the codec with the first of them, the clients with httpx. Nothing here loads grpc,
google.api_core, protobuf, google.auth or the server.
"""

import importlib
from typing import TYPE_CHECKING

from vertex_tuning_protos._public_names import PUBLIC_NAMES

from vertex_tuning._lean_betterproto import import_betterproto2

import_betterproto2()

if TYPE_CHECKING:
    from vertex_tuning import errors, resources
    from vertex_tuning._client import AsyncOperationsClient, AsyncTuningJobsClient, OperationsClient, TuningJobsClient
    from vertex_tuning._config import DEFAULT_POLLING, DEFAULT_RETRY, NO_RETRY, Retry
    from vertex_tuning._json import JsonFormatError, dumps, from_dict, loads, to_dict
    from vertex_tuning._time import Duration, Timestamp
    from vertex_tuning.errors import (
        Aborted,
        AlreadyExists,
        APIError,
        CallTimeout,
        Cancelled,
        DataLoss,
        DeadlineExceeded,
        FailedPrecondition,
        Internal,
        InvalidArgument,
        NotFound,
        OutOfRange,
        PermissionDenied,
        ResourceExhausted,
        TransportError,
        Unauthenticated,
        Unavailable,
        Unimplemented,
        Unknown,
        ValidationError,
        VertexTuningError,
        WaitTimeout,
    )
    from vertex_tuning.operations import AsyncOperation, Operation
    from vertex_tuning.pagination import AsyncPager, Pager
    from vertex_tuning.types import *  # the message and enum classes, listed in its __all__

# Where each name of __all__ lives, when not in vertex_tuning.types (the message and enum classes).
_HOMES = {
    "vertex_tuning._client": ("AsyncOperationsClient", "AsyncTuningJobsClient", "OperationsClient", "TuningJobsClient"),
    "vertex_tuning._config": ("DEFAULT_POLLING", "DEFAULT_RETRY", "NO_RETRY", "Retry"),
    "vertex_tuning._json": ("JsonFormatError", "dumps", "from_dict", "loads", "to_dict"),
    "vertex_tuning._time": ("Duration", "Timestamp"),
    "vertex_tuning.errors": (
        "APIError", "Aborted", "AlreadyExists", "CallTimeout", "Cancelled", "DataLoss", "DeadlineExceeded",
        "FailedPrecondition", "Internal", "InvalidArgument", "NotFound", "OutOfRange", "PermissionDenied",
        "ResourceExhausted", "TransportError", "Unauthenticated", "Unavailable", "Unimplemented", "Unknown",
        "ValidationError", "VertexTuningError", "WaitTimeout",
    ),
    "vertex_tuning.operations": ("AsyncOperation", "Operation"),
    "vertex_tuning.pagination": ("AsyncPager", "Pager"),
}
# Public submodules that `import vertex_tuning` used to load (only the first two are in __all__).
_SUBMODULES = ("errors", "pagination", "resources", "types")
_HOME = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> object:
    if name not in __all__ and name not in _SUBMODULES:
        raise AttributeError(f"module 'vertex_tuning' has no attribute {name!r}")
    # The message classes first, whatever the name: loading them installs their codec-backed
    # to_dict/from_dict/to_json/from_json (vertex_tuning.types), which every other name hands out.
    types = importlib.import_module("vertex_tuning.types")
    if name in _SUBMODULES:
        value: object = importlib.import_module(f"vertex_tuning.{name}")
    elif name in _HOME:
        if _HOME[name] in ("vertex_tuning._client", "vertex_tuning.operations"):
            from vertex_tuning._lean_httpx import import_httpx

            import_httpx()  # the clients use httpx: load it without its CLI hook's rich/click
        value = getattr(importlib.import_module(_HOME[name]), name)
    else:
        value = getattr(types, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


# The message and enum classes are the schema's (vertex_tuning_protos._public, listed without loading
# a class in _public_names); the rest are this package's own.
if TYPE_CHECKING:
    from vertex_tuning_protos._public import __all__ as __all__  # mypy reads its names
else:
    __all__ = list(PUBLIC_NAMES)
__all__ += [
    "DEFAULT_POLLING",
    "DEFAULT_RETRY",
    "NO_RETRY",
    "APIError",
    "Aborted",
    "AlreadyExists",
    "AsyncOperation",
    "AsyncOperationsClient",
    "AsyncPager",
    "AsyncTuningJobsClient",
    "CallTimeout",
    "Cancelled",
    "DataLoss",
    "DeadlineExceeded",
    "Duration",
    "FailedPrecondition",
    "Internal",
    "InvalidArgument",
    "JsonFormatError",
    "NotFound",
    "Operation",
    "OperationsClient",
    "OutOfRange",
    "Pager",
    "PermissionDenied",
    "ResourceExhausted",
    "Retry",
    "Timestamp",
    "TransportError",
    "TuningJobsClient",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "ValidationError",
    "VertexTuningError",
    "WaitTimeout",
    "dumps",
    "errors",
    "from_dict",
    "loads",
    "resources",
    "to_dict",
]
