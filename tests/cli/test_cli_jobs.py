"""``vertex-tuning jobs …`` against the reference server: every command, output shapes, user text as text."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml
from conftest import LOCATION, PARENT, PROJECT, TRAIN, Run, create_job, fields
from google.protobuf import json_format
from oracle import oracle_class, oracle_pool

from vertex_tuning.server.lifecycle import ManualClock


def as_pb2_job(data: dict[str, Any]) -> Any:
    """Parse with protobuf's own json_format into the generated TuningJob: fails on any non-proto3 JSON."""
    return json_format.ParseDict(data, oracle_class("google.cloud.aiplatform.v1.TuningJob")(),
                                 descriptor_pool=oracle_pool())


@pytest.mark.parametrize("text", ["ablation [/end]", "support-bot [v2]", "[bold]not bold[/bold] :smile:"])
def test_markup_looking_text_is_printed_verbatim_by_create_list_and_get(cli: Run, text: str) -> None:
    created = cli("jobs", "create", "--base-model", "gemini-1.0-pro-002", "--training-data", TRAIN,
                  "--display-name", text, "--description", text)
    assert created.exit_code == 0, created.output
    assert fields(created.stdout)["display name"] == text
    listed = cli("jobs", "list")
    assert listed.exit_code == 0, listed.output
    assert text in listed.stdout
    job_id = listed.stdout.splitlines()[1].split()[0].rsplit("/", 1)[-1]
    shown = cli("jobs", "get", job_id)
    assert shown.exit_code == 0 and fields(shown.stdout)["description"] == text


def test_list_json_is_always_an_array_and_get_an_object_parsable_by_json_format(cli: Run) -> None:
    empty = cli("jobs", "list", "-o", "json")
    assert (empty.exit_code, json.loads(empty.stdout)) == (0, [])
    first = create_job(cli, "--label", "team=nlp")
    one = json.loads(cli("jobs", "list", "-o", "json").stdout)
    assert isinstance(one, list) and [j["name"] for j in one] == [first["name"]]
    create_job(cli)
    two = json.loads(cli("jobs", "list", "--output", "json").stdout)
    assert isinstance(two, list) and len(two) == 2
    got = json.loads(cli("jobs", "get", first["name"], "-o", "json").stdout)
    assert isinstance(got, dict)
    for data in (got, *one, *two):
        assert json_format.MessageToDict(as_pb2_job(data), descriptor_pool=oracle_pool()) == data  # exactly proto3 JSON, nothing lost or added
    assert as_pb2_job(got).labels["team"] == "nlp"


def test_yaml_output_holds_the_same_data_as_json(cli: Run) -> None:
    job = create_job(cli, "--display-name", "yes", "--label", "env=no")  # YAML 1.1 would read these as booleans
    assert yaml.safe_load(cli("jobs", "get", job["name"], "-o", "yaml").stdout) == job
    assert yaml.safe_load(cli("jobs", "list", "-o", "yaml").stdout) == [job]


def test_create_sets_every_common_input_from_flags(cli: Run) -> None:
    job = create_job(
        cli, "--validation-data", "gs://bucket/val.jsonl", "--display-name", "d", "--description", "about",
        "--epochs", "4", "--learning-rate-multiplier", "0.5", "--adapter-size", "8", "--label", "a=1", "--label", "b=",
        "--service-account", "sa@p.iam.gserviceaccount.com",
        "--kms-key", "projects/p/locations/us-central1/keyRings/r/cryptoKeys/k",
    )
    pb = as_pb2_job(job)
    hyper = pb.supervised_tuning_spec.hyper_parameters
    assert (hyper.epoch_count, hyper.learning_rate_multiplier) == (4, 0.5)
    assert job["supervisedTuningSpec"]["hyperParameters"]["adapterSize"] == "ADAPTER_SIZE_EIGHT"
    assert pb.supervised_tuning_spec.validation_dataset_uri == "gs://bucket/val.jsonl"
    assert dict(pb.labels) == {"a": "1", "b": ""}
    assert (pb.description, pb.service_account) == ("about", "sa@p.iam.gserviceaccount.com")
    assert pb.encryption_spec.kms_key_name.endswith("cryptoKeys/k")


@pytest.mark.parametrize("suffix", [".json", ".yaml"])
def test_create_from_file_takes_any_input_and_flags_override_it(cli: Run, tmp_path: Any, suffix: str) -> None:
    spec = {
        "baseModel": "gemini-1.0-pro-002",
        "tunedModelDisplayName": "from file",
        "labels": {"src": "file"},
        "supervised_tuning_spec": {"trainingDatasetUri": TRAIN, "hyperParameters": {"epochCount": "2"}},
        "experiment": "",
    }
    path = tmp_path / f"job{suffix}"
    path.write_text(json.dumps(spec) if suffix == ".json" else yaml.safe_dump(spec), encoding="utf-8")
    result = cli("jobs", "create", "--from-file", str(path), "--display-name", "flag wins", "-o", "json")
    assert result.exit_code == 0, result.output
    pb = as_pb2_job(json.loads(result.stdout))
    assert (pb.tuned_model_display_name, pb.labels["src"]) == ("flag wins", "file")
    assert pb.supervised_tuning_spec.hyper_parameters.epoch_count == 2


def test_bare_ids_expand_with_project_and_location(cli: Run) -> None:
    job = create_job(cli)
    job_id = job["name"].rsplit("/", 1)[1]
    assert job["name"] == f"{PARENT}/tuningJobs/{job_id}"
    for ref in (job_id, f"tuningJobs/{job_id}", f"locations/{LOCATION}/tuningJobs/{job_id}"):
        result = cli("jobs", "get", ref, "-o", "json")
        assert json.loads(result.stdout)["name"] == job["name"], ref
    moved = cli("jobs", "get", job_id, "--project", "elsewhere")  # a global option after the command
    assert moved.exit_code == 3 and "projects/elsewhere/" in moved.stderr
    before = cli("--project", PROJECT, "jobs", "get", job_id)  # ... or before it
    assert before.exit_code == 0


def test_table_keeps_full_names_on_one_line_and_empty_list_says_so(cli: Run) -> None:
    empty = cli("jobs", "list")
    assert (empty.exit_code, empty.stdout, empty.stderr) == (0, "", f"no tuning jobs in {PARENT}\n")
    names = [create_job(cli, "--display-name", "x" * 100)["name"] for _ in range(2)]
    lines = cli("jobs", "list").stdout.splitlines()
    assert lines[0].split()[:2] == ["ID", "STATE"]
    assert [line.split()[0] for line in lines[1:]] == [n.rsplit("/", 1)[1] for n in names[::-1]]  # newest first
    wide = cli("jobs", "list", "-o", "wide").stdout.splitlines()
    assert wide[0].split()[:2] == ["NAME", "STATE"]
    assert [line.split()[0] for line in wide[1:]] == names[::-1]  # each full name whole
    filtered = cli("jobs", "list", "--filter", 'state="JOB_STATE_SUCCEEDED"')
    assert filtered.stdout == ""
    assert filtered.stderr == f'no tuning jobs in {PARENT} matching state="JOB_STATE_SUCCEEDED"\n'


def test_list_limit_and_filter(cli: Run, fast_clock: ManualClock) -> None:
    first = create_job(cli, "--label", "team=a")
    fast_clock.advance(200)  # first one SUCCEEDED
    for _ in range(3):
        create_job(cli, "--label", "team=b")
    limited = cli("jobs", "list", "--limit", "2", "-o", "json")
    assert len(json.loads(limited.stdout)) == 2
    assert "showing the first 2" in cli("jobs", "list", "--limit", "2").stderr
    done = json.loads(cli("jobs", "list", "--filter", 'state="JOB_STATE_SUCCEEDED"', "-o", "json").stdout)
    assert [j["name"] for j in done] == [first["name"]]
    labelled = json.loads(cli("jobs", "list", "--filter", 'labels.team="b"', "-o", "json", "--limit", "0").stdout)
    assert len(labelled) == 3


def test_cancel_then_wait_reports_the_cancellation_error_and_exits_1(cli: Run, fast_clock: ManualClock) -> None:
    job = create_job(cli)
    cancelled = cli("jobs", "cancel", job["name"])
    assert (cancelled.exit_code, cancelled.stdout) == (0, f"cancellation requested: {job['name']}\n")
    assert json.loads(cli("jobs", "cancel", job["name"], "-o", "json").stdout) == {}  # google.protobuf.Empty
    fast_clock.advance(50)
    waited = cli("jobs", "wait", job["name"])
    assert waited.exit_code == 1
    assert waited.stderr.endswith(f"\nerror: tuning job {job['name']} ended JOB_STATE_CANCELLED\n")
    error = fields(waited.stdout)["error"].splitlines()
    assert error[0].startswith("CANCELLED (1): ")  # google.rpc code name and number
    assert error[1] == 'ErrorInfo {"reason": "JOB_CANCELLED", "domain": "aiplatform.googleapis.com"}'
    as_json = cli("jobs", "wait", job["name"], "-o", "json")  # stdout is JSON: stderr carries the reason
    assert as_json.exit_code == 1 and json.loads(as_json.stdout)["state"] == "JOB_STATE_CANCELLED"
    assert as_json.stderr.splitlines()[-2:] == [f"  {line}" for line in error]


def test_stats_prints_counts_and_histograms_from_the_buckets(cli: Run, fast_clock: ManualClock) -> None:
    job = create_job(cli)
    early = cli("jobs", "stats", job["name"])
    assert early.exit_code == 1 and "no tuning data statistics yet" in early.stderr
    fast_clock.advance(20)  # RUNNING: the data statistics exist
    data = json.loads(cli("jobs", "get", job["name"], "-o", "json").stdout)["tuningDataStats"]
    stats = data["supervisedTuningDataStats"]
    shown = cli("jobs", "stats", job["name"])
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert f"examples            {int(stats['tuningDatasetExampleCount']):,}" in out
    for title, key in [("User input tokens per example", "userInputTokenDistribution"),
                       ("User output tokens per example", "userOutputTokenDistribution"),
                       ("Messages per example", "userMessagePerExampleDistribution")]:
        assert title in out
        section = out.split(title, 1)[1].splitlines()[2:]
        buckets = stats[key]["buckets"]
        bars = [line.rsplit("  ", 1)[1] for line in section[: len(buckets)]]
        longest = max(range(len(buckets)), key=lambda i: buckets[i]["count"])
        assert len(bars[longest]) == max(map(len, bars))  # the fullest bucket has the longest bar
        assert len(bars[longest]) > 2 * len(bars[min(range(len(buckets)), key=lambda i: buckets[i]["count"])]) or (
            min(b["count"] for b in buckets) * 2 > max(b["count"] for b in buckets)
        )
    as_json = json.loads(cli("jobs", "stats", job["name"], "-o", "json").stdout)
    json_format.ParseDict(as_json, oracle_class("google.cloud.aiplatform.v1.TuningDataStats")(),
                          descriptor_pool=oracle_pool())
    assert as_json == data


def test_rebase_returns_an_operation_that_operations_wait_sees_through(cli: Run, fast_clock: ManualClock) -> None:
    job = create_job(cli)
    refused = cli("jobs", "rebase", job["name"])
    assert refused.exit_code == 4 and refused.stderr.startswith("error: FAILED_PRECONDITION: ")
    fast_clock.advance(200)
    started = cli("jobs", "rebase", job["name"].rsplit("/", 1)[1], "-o", "json")
    assert started.exit_code == 0, started.output
    operation = json.loads(started.stdout)
    assert operation["name"].startswith(job["name"] + "/operations/")
    fast_clock.advance(200)
    waited = cli("operations", "wait", operation["name"], "-o", "json")
    assert waited.exit_code == 0, waited.output
    result = json.loads(waited.stdout)
    assert result["done"] is True and result["response"]["name"].startswith(f"{PARENT}/tuningJobs/")


def test_version_and_python_dash_m(cli: Run) -> None:
    import subprocess
    import sys
    from importlib.metadata import version

    assert cli("--version").stdout == f"vertex-tuning {version('vertex-tuning')}\n"
    proc = subprocess.run([sys.executable, "-m", "vertex_tuning", "--version"], check=False, capture_output=True,
                          text=True)
    assert (proc.returncode, proc.stdout) == (0, f"vertex-tuning {version('vertex-tuning')}\n")


def test_project_comes_from_the_environment_or_a_flag(cli: Run) -> None:
    missing = cli("jobs", "list", project=None)
    assert missing.exit_code == 2
    first, hint = missing.stderr.splitlines()
    assert first == "error: no project: pass --project PROJECT or set GOOGLE_CLOUD_PROJECT"
    assert hint.startswith("see '") and hint.endswith(" jobs list --help'")
    flagged = cli("jobs", "list", "--project", "other", project=None)
    assert flagged.stderr == "no tuning jobs in projects/other/locations/us-central1\n"


def test_no_color_is_honoured_and_completion_is_available(monkeypatch: pytest.MonkeyPatch) -> None:
    from vertex_tuning.cli._output import console

    monkeypatch.setenv("NO_COLOR", "1")
    assert console().no_color
    monkeypatch.delenv("NO_COLOR")
    assert not console().no_color
    import subprocess
    import sys

    # typer detects the shell from the parent processes unless told not to, and then takes it as a value.
    env = {**os.environ, "_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}
    script = subprocess.run([sys.executable, "-m", "vertex_tuning", "--show-completion", "bash"], check=False,
                            capture_output=True, text=True, env=env)
    assert script.returncode == 0
    assert "_VERTEX_TUNING_COMPLETE=complete_bash" in script.stdout
    assert "complete -o default -F _vertex_tuning_completion vertex-tuning" in script.stdout


def test_create_from_stdin_and_rebase_with_wait(live_cli: Any) -> None:
    cli = live_cli(job_duration=0.5)
    spec = json.dumps({"baseModel": "gemini-1.0-pro-002", "supervisedTuningSpec": {"trainingDatasetUri": TRAIN}})
    created = cli("jobs", "create", "--from-file", "-", "--wait", "-q", "-o", "json", input=spec)
    assert created.exit_code == 0, created.output
    job = json.loads(created.stdout)
    assert job["state"] == "JOB_STATE_SUCCEEDED"
    rebased = cli("jobs", "rebase", job["name"], "--base-model", "gemini-1.5-pro-002", "--wait", "-o", "json")
    assert rebased.exit_code == 0, rebased.output
    operation = json.loads(rebased.stdout)
    assert operation["done"] is True and operation["response"]["baseModel"] == "gemini-1.5-pro-002"
