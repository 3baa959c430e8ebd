"""vertex-tuning: a client for the Vertex AI TuningJobs API, rebuilt from its reference pages.

Users import everything from here: the clients, errors, resource helpers, message types and
the JSON codec. Importing it loads neither grpc, google.api_core, google.auth nor the server;
the clients (and httpx) load on first use of their names.
"""

import importlib
from typing import TYPE_CHECKING

from vertex_tuning._lean_betterproto import import_betterproto2

import_betterproto2()  # before anything below loads the generated messages (see _lean_betterproto)

from vertex_tuning import errors, resources
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
from vertex_tuning.pagination import AsyncPager, Pager
from vertex_tuning.types import *  # the message and enum classes, listed in __all__

if TYPE_CHECKING:
    from vertex_tuning._client import AsyncOperationsClient, AsyncTuningJobsClient, OperationsClient, TuningJobsClient
    from vertex_tuning.operations import AsyncOperation, Operation

# The clients pull in httpx (without its CLI hook's rich/click: see _lean_httpx): load them
# on first use so that code needing only the types and codec (the server, tools) stays light.
_LAZY = {
    "AsyncOperation": "vertex_tuning.operations",
    "AsyncOperationsClient": "vertex_tuning._client",
    "AsyncTuningJobsClient": "vertex_tuning._client",
    "Operation": "vertex_tuning.operations",
    "OperationsClient": "vertex_tuning._client",
    "TuningJobsClient": "vertex_tuning._client",
}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'vertex_tuning' has no attribute {name!r}")
    from vertex_tuning._lean_httpx import import_httpx

    import_httpx()
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "DEFAULT_POLLING",
    "DEFAULT_RETRY",
    "NO_RETRY",
    "APIError",
    "Aborted",
    "AdapterSize",
    "AlreadyExists",
    "Any",
    "AsyncOperation",
    "AsyncOperationsClient",
    "AsyncPager",
    "AsyncTuningJobsClient",
    "Blob",
    "CallTimeout",
    "CancelTuningJobRequest",
    "Cancelled",
    "Content",
    "CreateTuningJobRequest",
    "DataLoss",
    "DatasetBucket",
    "DeadlineExceeded",
    "Duration",
    "Empty",
    "EncryptionSpec",
    "FailedPrecondition",
    "FileData",
    "FunctionCall",
    "FunctionResponse",
    "GcsDestination",
    "GetTuningJobRequest",
    "Internal",
    "InvalidArgument",
    "JobState",
    "JsonFormatError",
    "ListTuningJobsRequest",
    "ListTuningJobsResponse",
    "NotFound",
    "Operation",
    "OperationProto",
    "OperationsClient",
    "OutOfRange",
    "Pager",
    "Part",
    "PermissionDenied",
    "RebaseTunedModelRequest",
    "ResourceExhausted",
    "Retry",
    "Status",
    "Struct",
    "SupervisedHyperParameters",
    "SupervisedTuningDataStats",
    "SupervisedTuningDatasetDistribution",
    "SupervisedTuningSpec",
    "Timestamp",
    "TransportError",
    "TunedModel",
    "TunedModelRef",
    "TuningDataStats",
    "TuningJob",
    "TuningJobsClient",
    "Unauthenticated",
    "Unavailable",
    "Unimplemented",
    "Unknown",
    "ValidationError",
    "Value",
    "VertexTuningError",
    "VideoMetadata",
    "WaitTimeout",
    "dumps",
    "errors",
    "from_dict",
    "loads",
    "resources",
    "to_dict",
]
