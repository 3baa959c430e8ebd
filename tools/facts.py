"""Facts several layers need, derived once from the documents (or recorded here with their reason).

They land in ``ir["facts"]`` and, through the schema tables, in ``SCHEMA["facts"]``: the client's
``wait`` and validation, the reference server, the OpenAPI document and the contract suite all
read them there, so no layer restates them.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import descriptor_pb2

TYPE_URL_PREFIX = "type.googleapis.com/"
_STATE = re.compile(r"JOB_STATE_[A-Z_]+")
_HTTP_MAPPING = re.compile(r"HTTP Mapping: (\d{3})")
# Recorded, not derived: the REST page's endTime sentence lists four states, but the enum also has
# PARTIALLY_SUCCEEDED ("some results may be missing due to errors"), a finished outcome a job never
# leaves; Google's SDK treats it as complete, and a wait() that ignored it would never return.
_ALSO_TERMINAL = {
    "JOB_STATE_PARTIALLY_SUCCEEDED": "a finished outcome the endTime sentence predates; the job never leaves it",
}
# Recorded, not derived: the documents say only "Cloud Storage URI"; this is the one concrete rule.
GCS_URI = {
    "pattern": r"^gs://[^/\s]+/\S+$",
    "reason": "the documents say 'Cloud Storage URI' (gs://bucket/object); bucket and object must be non-empty,"
    " no whitespace",
}


def _resource_message(ir: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return next((name, m) for name, m in ir["messages"].items() if m.get("resource"))


def terminal_job_states(ir: dict[str, Any]) -> dict[str, Any]:
    """States a job never leaves: those endTime's description names, plus the recorded ones."""
    _, job = _resource_message(ir)
    end_time = next(f for f in job["fields"] if f["json_name"] == "endTime")
    state = next(f for f in job["fields"] if f["json_name"] == "state")
    named = sorted(set(_STATE.findall(end_time["description"])))
    return {
        "enum": state["type_name"],
        "values": sorted({*named, *_ALSO_TERMINAL}),
        "with_end_time": named,
        "derived_from": "TuningJob.endTime's description (with_end_time), plus the recorded ones",
        "recorded": dict(_ALSO_TERMINAL),
    }


def http_status_of_code(data: bytes) -> dict[str, int]:
    """google.rpc.Code name → HTTP status, from the "HTTP Mapping" comments of google/rpc/code.proto."""
    fds = descriptor_pb2.FileDescriptorSet.FromString(data)
    file = next(f for f in fds.file if f.name == "google/rpc/code.proto")
    enum_index = next(i for i, e in enumerate(file.enum_type) if e.name == "Code")
    comments = {
        tuple(loc.path): loc.leading_comments for loc in file.source_code_info.location if len(loc.path) == 4
    }
    out = {}
    for i, value in enumerate(file.enum_type[enum_index].value):
        found = _HTTP_MAPPING.search(comments.get((5, enum_index, 2, i), ""))
        if found is None:
            raise ValueError(f"google/rpc/code.proto: no HTTP Mapping for {value.name}")
        out[value.name] = int(found.group(1))
    return out


def operation_response_types(ir: dict[str, Any]) -> dict[str, dict[str, str]]:
    """The response type inside each long-running method's Operation (the documents do not say it).

    By the AIP conventions the README of protos/sources lists: a Delete method's operation yields
    google.protobuf.Empty (AIP-135), any other one the collection's resource (AIP-151).
    """
    resource, _ = _resource_message(ir)
    out = {}
    for method in ir["methods"]:
        if method["output"] != "google.longrunning.Operation":
            continue
        delete = method["name"].startswith("Delete")
        out[f"{ir['service']}.{method['name']}"] = {
            "response": "google.protobuf.Empty" if delete else resource,
            "basis": "AIP-135: a long-running Delete yields Empty" if delete else "AIP-151: yields the resource",
        }
    return out


def derive(ir: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Every fact, from the IR and the compiled descriptors."""
    return {
        "terminal_job_states": terminal_job_states(ir),
        "gcs_uri": GCS_URI,
        "type_url_prefix": TYPE_URL_PREFIX,
        "http_status_of_code": http_status_of_code(data),
        "operation_response_types": operation_response_types(ir),
    }
