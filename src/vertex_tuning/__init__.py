"""vertex-tuning: a client for the Vertex AI TuningJobs API, rebuilt from its reference pages.

Users import everything from here: the message types, the JSON codec, and (as they land)
the clients and errors. Importing it loads neither grpc, google.api_core nor the server.
"""

from vertex_tuning import errors, resources
from vertex_tuning._client import AsyncTuningJobsClient, TuningJobsClient
from vertex_tuning._config import DEFAULT_POLLING, DEFAULT_RETRY, NO_RETRY, Retry
from vertex_tuning._json import JsonFormatError, dumps, from_dict, loads, to_dict
from vertex_tuning._time import Duration, Timestamp
from vertex_tuning.errors import (
    Aborted,
    AlreadyExists,
    APIError,
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
)
from vertex_tuning.operations import AsyncOperation, AsyncOperationsClient, Operation, OperationsClient
from vertex_tuning.pagination import AsyncPager, Pager
from vertex_tuning.types import *
from vertex_tuning.types import __all__ as _types_all

__all__ = [
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
    "dumps",
    "errors",
    "from_dict",
    "loads",
    "resources",
    "to_dict",
]
__all__.extend(_types_all)  # the message and enum classes of vertex_tuning.types
