"""The reference implementation: protobuf's own classes for our protos, compiled by protoc at test time.

``json_format`` over these classes is the oracle our codec is compared with.
"""

from __future__ import annotations

import importlib
import sys
import tempfile
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
PROTO_FILES = ["google/cloud/aiplatform/v1/tuning_job.proto", "google/cloud/aiplatform/v1/genai_tuning_service.proto"]


@cache
def pb2_modules() -> tuple[ModuleType, ModuleType]:
    """(tuning_job_pb2, genai_tuning_service_pb2) built from protos/ with protoc --python_out."""
    from grpc_tools import protoc

    from tools.regen import include_paths

    out = Path(tempfile.mkdtemp(prefix="vt-pb2-"))
    args = ["grpc_tools.protoc", *(f"-I{p}" for p in include_paths()), f"--python_out={out}", *PROTO_FILES]
    if protoc.main(args) != 0:
        raise RuntimeError("protoc --python_out failed")
    # Our google/cloud/... must merge with googleapis-common-protos' google/... namespace.
    import google

    google.__path__.append(str(out / "google"))  # type: ignore[attr-defined]
    sys.path.append(str(out))
    return (
        importlib.import_module("google.cloud.aiplatform.v1.tuning_job_pb2"),
        importlib.import_module("google.cloud.aiplatform.v1.genai_tuning_service_pb2"),
    )
