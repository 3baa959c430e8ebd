"""``vertex-tuning operations …``: get, list, cancel, delete and wait, with proto3 JSON that json_format accepts."""

from __future__ import annotations

import json
from typing import Any

from conftest import Run, create_job, fields
from google.protobuf import json_format
from google.protobuf.message import Message
from oracle import oracle_class, oracle_pool


def rebase(cli: Run, fast_clock: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    job = create_job(cli)
    fast_clock.advance(200)
    result = cli("jobs", "rebase", job["name"], "--display-name", "rebased [v3]", "-o", "json")
    assert result.exit_code == 0, result.output
    return job, json.loads(result.stdout)


def as_pb2_operation(data: dict[str, Any]) -> Message:
    """protobuf's own Operation; the private pool also resolves the TuningJob packed in ``response``."""
    return json_format.ParseDict(data, oracle_class("google.longrunning.Operation")(), descriptor_pool=oracle_pool())


def test_list_and_get_print_the_api_shapes(cli: Run, fast_clock: Any) -> None:
    job, op = rebase(cli, fast_clock)
    listed = json.loads(cli("operations", "list", job["name"], "-o", "json").stdout)
    assert isinstance(listed, list) and [o["name"] for o in listed] == [op["name"]]
    got = json.loads(cli("operations", "get", op["name"], "-o", "json").stdout)
    assert isinstance(got, dict)
    for data in (op, got, *listed):
        assert json_format.MessageToDict(as_pb2_operation(data), descriptor_pool=oracle_pool()) == data
    table = cli("operations", "list", job["name"]).stdout.splitlines()
    assert table[0].split()[:2] == ["NAME", "DONE"] and table[1].split()[0] == op["name"]
    shown = fields(cli("operations", "get", op["name"]).stdout)
    assert shown["name"] == op["name"] and shown["done"] == "no (running)"


def test_wait_then_the_result_is_the_new_job(cli: Run, fast_clock: Any) -> None:
    _, op = rebase(cli, fast_clock)
    fast_clock.advance(200)
    waited = cli("operations", "wait", op["name"])
    assert waited.exit_code == 0, waited.output
    result = fields(waited.stdout)["result"]
    assert result.startswith("TuningJob projects/")
    new_job = json.loads(cli("jobs", "get", result.split()[1], "-o", "json").stdout)
    assert new_job["tunedModelDisplayName"] == "rebased [v3]"


def test_cancel_makes_wait_exit_1_with_the_error_and_delete_forgets(cli: Run, fast_clock: Any) -> None:
    job, op = rebase(cli, fast_clock)
    cancelled = cli("operations", "cancel", op["name"])
    assert (cancelled.exit_code, cancelled.stdout) == (0, f"cancellation requested: {op['name']}\n")
    waited = cli("operations", "wait", op["name"])
    assert waited.exit_code == 1
    assert waited.stderr.endswith(f"error: operation {op['name']} failed\n")
    assert fields(waited.stdout)["error"].startswith("CANCELLED (1): ")
    as_json = cli("operations", "wait", op["name"], "-o", "json")
    assert as_json.exit_code == 1 and as_json.stderr.endswith("\n  CANCELLED (1): The operation was cancelled.\n")
    deleted = cli("operations", "delete", op["name"], "-o", "json")
    assert (deleted.exit_code, json.loads(deleted.stdout)) == (0, {})
    assert cli("operations", "get", op["name"]).exit_code == 3
    assert cli("operations", "list", job["name"]).stderr == f"no operations for {job['name']}\n"
    assert cli("operations", "list", job["name"], "-o", "json").stdout == "[]\n"


def test_short_operation_names_expand(cli: Run, fast_clock: Any) -> None:
    _job, op = rebase(cli, fast_clock)
    short = op["name"].split("/tuningJobs/", 1)[1]  # JOB_ID/operations/OP_ID
    got = json.loads(cli("operations", "get", short, "-o", "json").stdout)
    assert got["name"] == op["name"]
    bad = cli("operations", "get", "nope")
    assert bad.exit_code == 2 and "is not an operation" in bad.stderr


def test_cancel_job_with_wait_returns_once_it_is_cancelled(live_cli: Any) -> None:
    cli = live_cli(job_duration=3.0)
    job = create_job(cli)
    result = cli("jobs", "cancel", job["name"], "--wait", "-o", "json")
    assert result.exit_code == 0, result.output  # cancelling was the point: CANCELLED is success here
    assert json.loads(result.stdout)["state"] == "JOB_STATE_CANCELLED"
