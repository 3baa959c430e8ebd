"""vertex-tuning: a client for the Vertex AI TuningJobs API, rebuilt from its reference pages.

Users import everything from here: the message types, the JSON codec, and (as they land)
the clients and errors. Importing it loads neither grpc, google.api_core nor the server.
"""

from vertex_tuning._json import JsonFormatError, dumps, from_dict, loads, to_dict
from vertex_tuning._time import Duration, Timestamp
from vertex_tuning.types import *  # noqa: F403
from vertex_tuning.types import __all__ as _types_all

__all__ = sorted(
    [
        "Duration",
        "JsonFormatError",
        "Timestamp",
        "dumps",
        "from_dict",
        "loads",
        "to_dict",
        *_types_all,
    ]
)
