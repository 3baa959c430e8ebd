"""Facts several layers need, derived once from the documents (or recorded here with their reason).

They land in ``ir["facts"]`` and, through the schema tables, in ``SCHEMA["facts"]``: the client's
``wait`` and validation, the reference server, the OpenAPI document and the contract suite all
read them there, so no layer restates them. Facts stated in prose (the terminal states endTime
lists, the states error is set in, the code of a cancelled job) are read here, at generation time,
and nowhere else: a rewording this reader cannot follow stops the run at the document line
(``DocError``), before anything is written, instead of failing every run of the product.
"""

from __future__ import annotations

import re
from typing import Any

from google.protobuf import descriptor_pb2
from google.rpc import code_pb2

from .docparse import DocError

TYPE_URL_PREFIX = "type.googleapis.com/"
_STATE = re.compile(r"JOB_STATE_[A-Z_]+")
_HTTP_MAPPING = re.compile(r"HTTP Mapping: (\d{3})")
# CancelTuningJob's description, in every wording published so far: "...a google.rpc.Status.code of 1,
# corresponding to `Code.CANCELLED`, and TuningJob.state is set to `CANCELLED`" (2.140-2.170) and
# "...its state is set to `CANCELLED`, and `error` is set to a status with a `google.rpc.Status.code` of 1,
# corresponding to `Code.CANCELLED`" (2.190 on).
_CANCEL_CODE = re.compile(r"code`? of (\d+), corresponding to `?Code\.([A-Z_]+)")
_CANCEL_STATE = re.compile(r"state is set to `?([A-Z_]+)`?")
_EXAMPLE = re.compile(r'e\.g\., "([^"]+)"')
_QUOTED = 200  # characters of a description an error quotes
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


def _where(ir: dict[str, Any], sources: dict[str, int]) -> tuple[str, int]:
    """(file, line) of an element in the documents: the REST page's line if it has one, else the Python page's."""
    for kind in ("rest", "python"):
        if kind in sources:
            return str(ir["sources"][kind]["file"]), int(sources[kind])
    return str(ir["sources"]["rest"]["file"]), 1


def _cite(ir: dict[str, Any], sources: dict[str, int]) -> str:
    file, line = _where(ir, sources)
    return f"{file}:{line}"


def _quote(text: str) -> str:
    return text if len(text) <= _QUOTED else text[: _QUOTED - 3] + "..."


def _job_field(ir: dict[str, Any], json_name: str) -> dict[str, Any]:
    """A field of the resource message that a fact is read from; a DocError at the message if it is gone."""
    _, job = _resource_message(ir)
    field = next((f for f in job["fields"] if f["json_name"] == json_name), None)
    if field is None:
        file, line = _where(ir, job["sources"])
        raise DocError(file, line, f"a field {json_name} (a fact is read from its description)", "none")
    return field


def _states_named(ir: dict[str, Any], json_name: str, what: str) -> list[str]:
    """The JobState values a job field's description names; a DocError at the field's line if it names none."""
    field = _job_field(ir, json_name)
    named = sorted(set(_STATE.findall(field["description"])))
    if not named:
        file, line = _where(ir, field["sources"])
        raise DocError(file, line, f"{json_name}'s description naming {what} (JOB_STATE_...)",
                       _quote(field["description"]))
    return named


def terminal_job_states(ir: dict[str, Any]) -> dict[str, Any]:
    """States a job never leaves: those endTime's description names, plus the recorded ones."""
    named = _states_named(ir, "endTime", "the states a job ends in")
    end_time = _job_field(ir, "endTime")
    return {
        "enum": _job_field(ir, "state")["type_name"],
        "values": sorted({*named, *_ALSO_TERMINAL}),
        "with_end_time": named,
        "derived_from": "TuningJob.endTime's description (with_end_time), plus the recorded ones",
        "read_from": _cite(ir, end_time["sources"]),
        "recorded": dict(_ALSO_TERMINAL),
    }


def job_error_states(ir: dict[str, Any]) -> dict[str, Any]:
    """States in which a job carries an error: the ones error's description names."""
    named = _states_named(ir, "error", "the states error is set in")
    return {"values": named, "read_from": _cite(ir, _job_field(ir, "error")["sources"])}


def job_running_states(ir: dict[str, Any]) -> dict[str, Any]:
    """The state a job runs in: the one startTime's description names ("first entered ... RUNNING")."""
    named = _states_named(ir, "startTime", "the state a job starts running in")
    return {"values": named, "read_from": _cite(ir, _job_field(ir, "startTime")["sources"])}


def cancelled_job(ir: dict[str, Any]) -> dict[str, Any]:
    """The state and google.rpc.Code of a cancelled job, from the cancel method's description."""
    method = next((m for m in ir["methods"] if m["name"].startswith("Cancel")), None)
    if method is None:
        return {}  # no cancel method, nothing to say about a cancelled job
    file, line = _where(ir, method["sources"])
    summary = str(method.get("summary", ""))
    code, state = _CANCEL_CODE.search(summary), _CANCEL_STATE.search(summary)
    if code is None or state is None:
        missing = "the error code ('code of N, corresponding to Code.NAME')" if code is None else \
            "the state ('state is set to NAME')"
        raise DocError(file, line, f"{method['name']}'s description naming {missing} of a cancelled job",
                       _quote(summary))
    number, name = int(code.group(1)), code.group(2)
    if dict(code_pb2.Code.items()).get(name) != number:
        raise DocError(file, line, "", says=f"{method['name']}'s description gives code {number} for Code.{name}, "
                       "which google/rpc/code.proto does not define so")
    state_enum = _job_field(ir, "state")["type_name"]
    values = [v["name"] for v in ir["enums"][state_enum]["values"]]
    wanted = next((v for v in values if v in (state.group(1), f"JOB_STATE_{state.group(1)}")), None)
    if wanted is None:
        raise DocError(file, line, "", says=f"{method['name']}'s description sets the state to {state.group(1)}, "
                       f"which is not a value of {state_enum.rsplit('.', 1)[-1]}")
    return {"state": wanted, "error_code": number, "code_name": name, "read_from": f"{file}:{line}"}


def example_base_model(ir: dict[str, Any]) -> dict[str, Any]:
    """The base model baseModel's description gives as an example ("e.g., \"gemini-1.0-pro-002\""), if any.

    Not a fact the product needs (a job may name any model): when the documents give no example,
    the value is null and the contract suite keeps the sample value it generated.
    """
    _, job = _resource_message(ir)
    field = next((f for f in job["fields"] if f["json_name"] == "baseModel"), None)
    found = _EXAMPLE.search(field["description"]) if field else None
    if field is None or found is None:
        return {"value": None, "read_from": None}
    return {"value": found.group(1), "read_from": _cite(ir, field["sources"])}


def from_documents(ir: dict[str, Any]) -> dict[str, Any]:
    """The facts stated in the documents' prose; raises DocError at the line of one that cannot be read."""
    return {
        "terminal_job_states": terminal_job_states(ir),
        "job_error_states": job_error_states(ir),
        "job_running_states": job_running_states(ir),
        "cancelled_job": cancelled_job(ir),
        "example_base_model": example_base_model(ir),
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
        **from_documents(ir),
        "gcs_uri": GCS_URI,
        "type_url_prefix": TYPE_URL_PREFIX,
        "http_status_of_code": http_status_of_code(data),
        "operation_response_types": operation_response_types(ir),
    }
