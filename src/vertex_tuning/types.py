"""The API's message and enum classes (betterproto2 dataclasses generated from the documents).

Which classes there are is the schema's business: ``vertex_tuning_protos._public`` (written by
tools/publicgen.py) imports every one by name and lists them in ``__all__``.
"""

from vertex_tuning_protos._public import *  # every class of the schema, listed in its __all__
from vertex_tuning_protos._public import __all__ as __all__  # noqa: PLC0414 - mypy reads the exports of `as __all__`
from vertex_tuning_protos.message_pool import default_message_pool as _pool

from vertex_tuning._message_methods import install as _install

# The classes' own to_dict/from_dict/to_json/from_json go through the lossless codec (every class
# the generated package has registered by now: the API's, longrunning, rpc and well-known types).
_install(_pool.url_to_type.values())
