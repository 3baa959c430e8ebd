"""The reference implementation: protobuf's own classes for our protos, compiled by protoc at test time.

``json_format`` over these classes is the oracle our codec is compared with. The classes live in a
private descriptor pool: Google's own client (installed for the interop tests) registers its
``google/cloud/aiplatform/v1/*.proto`` files in the default pool under the same file names.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.message import Message

ROOT = Path(__file__).resolve().parent.parent
PROTO_FILES = ["google/cloud/aiplatform/v1/tuning_job.proto", "google/cloud/aiplatform/v1/genai_tuning_service.proto"]
# Packed into google.protobuf.Any by the tests, so the pool must resolve them too.
EXTRA_FILES = ["google/rpc/error_details.proto"]


@cache
def oracle_pool() -> descriptor_pool.DescriptorPool:
    """A private pool holding our protos (and their imports) as protoc --descriptor_set_out compiled them."""
    from grpc_tools import protoc

    from tools.regen import include_paths

    out = Path(tempfile.mkdtemp(prefix="vt-pb2-")) / "set.binpb"
    args = ["grpc_tools.protoc", *(f"-I{p}" for p in include_paths()), f"--descriptor_set_out={out}",
            "--include_imports", *PROTO_FILES, *EXTRA_FILES]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc --descriptor_set_out failed")
    pool = descriptor_pool.DescriptorPool()
    for file in descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file:
        pool.Add(file)
    return pool


def oracle_class(full_name: str) -> type[Message]:
    """protobuf's message class for ``full_name`` from the private pool."""
    return message_factory.GetMessageClass(oracle_pool().FindMessageTypeByName(full_name))


def oracle_message_names() -> list[str]:
    """The full names of the top-level messages of our API protos."""
    pool = oracle_pool()
    return [name for f in PROTO_FILES for name in
            (d.full_name for d in pool.FindFileByName(f).message_types_by_name.values())]


def same_json(a: object, b: object) -> bool:
    """Equal as JSON values, types included: ``3`` and ``3.0`` are equal in Python, not in the bytes written."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)
