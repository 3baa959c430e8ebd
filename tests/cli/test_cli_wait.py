"""Waiting: progress lines per change, the failure reason, Ctrl-C, and the stats picture."""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import PROJECT, TRAIN, create_job, read_terminal, wait_for_stats

from vertex_tuning.cli._failures import ExitCode


def test_wait_prints_one_line_per_state_change_then_the_job(live_cli: Any) -> None:
    cli = live_cli(job_duration=2.0)
    job = create_job(cli, "--display-name", "watched [x]")
    result = cli("jobs", "wait", job["name"])
    assert result.exit_code == 0, result.output
    states = [line.split()[2] for line in result.stderr.splitlines()[:-1]]
    assert states[0] in ("JOB_STATE_QUEUED", "JOB_STATE_PENDING", "JOB_STATE_RUNNING")
    assert states[-1] == "JOB_STATE_SUCCEEDED" and len(states) >= 2
    assert all(a != b for a, b in itertools.pairwise(states))  # one line per change, not per poll
    assert result.stderr.splitlines()[-1].startswith("JOB_STATE_SUCCEEDED after 0:00:0")
    assert "state:" in result.stdout and "watched [x]" in result.stdout
    quiet = cli("jobs", "wait", job["name"], "-q", "-o", "json")
    assert quiet.stderr == "" and json.loads(quiet.stdout)["state"] == "JOB_STATE_SUCCEEDED"


def test_failed_job_prints_its_google_rpc_error_and_exits_1(live_cli: Any) -> None:
    cli = live_cli(job_duration=0.5, job_failure_rate=1.0)
    result = cli("jobs", "create", "--base-model", "gemini-1.0-pro-002", "--training-data", TRAIN, "--wait",
                 "-o", "json")
    assert result.exit_code == ExitCode.UNSUCCESSFUL == 1
    job = json.loads(result.stdout)  # the final job is still printed, as JSON
    assert job["state"] == "JOB_STATE_FAILED"
    error_lines = result.stderr.split("error: ", 1)[1].splitlines()
    assert error_lines[0] == f"tuning job {job['name']} ended JOB_STATE_FAILED"
    assert error_lines[1] == f"  INTERNAL (13): {job['error']['message']}"


def test_ctrl_c_stops_watching_not_the_job(live_cli: Any, _served_slot: Any) -> None:
    cli = live_cli(job_duration=600.0)
    job = create_job(cli)
    env = {**os.environ, "VERTEX_TUNING_BASE_URL": _served_slot[1], "GOOGLE_CLOUD_PROJECT": PROJECT}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vertex_tuning", "jobs", "wait", job["name"].rsplit("/", 1)[1]],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the first state line: it is polling now
    assert "JOB_STATE_" in first
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=30)
    assert proc.returncode == ExitCode.INTERRUPTED == 130
    assert "the job keeps running on the server" in err
    assert f"watch it again with: vertex-tuning jobs wait {job['name']}" in err
    assert "Traceback" not in err
    still = json.loads(cli("jobs", "get", job["name"], "-o", "json").stdout)
    assert still["state"] != "JOB_STATE_CANCELLED" and "endTime" not in still


def test_stats_png_is_a_real_non_blank_chart(live_cli: Any, tmp_path: Path) -> None:
    from matplotlib.image import imread

    cli = live_cli(job_duration=2.0)
    job = create_job(cli, "--display-name", "chart")
    wait_for_stats(cli, job["name"])
    path = tmp_path / "stats.png"
    result = cli("jobs", "stats", job["name"], "--png", str(path))
    assert result.exit_code == 0, result.output
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(str(path))
    height, width = pixels.shape[:2]
    assert 600 <= width <= 2400 and 200 <= height <= 1200
    assert f"({width}x{height} px)" in result.stderr
    rgb = pixels[..., :3]
    assert rgb.std() > 0.1  # not a blank canvas
    bar_blue = ((abs(rgb[..., 0] - 0x42 / 255) < 0.02) & (abs(rgb[..., 2] - 0xF4 / 255) < 0.02)).mean()
    assert bar_blue > 0.05  # the bars cover a visible share of the image
    assert "User input tokens per example" in result.stdout  # the terminal histograms print as well


def test_on_a_terminal_the_progress_is_one_live_line(live_cli: Any, _served_slot: Any) -> None:
    import pty

    cli = live_cli(job_duration=2.0)
    job = create_job(cli)
    master, slave = pty.openpty()
    env = {**os.environ, "VERTEX_TUNING_BASE_URL": _served_slot[1], "GOOGLE_CLOUD_PROJECT": PROJECT,
           "COLUMNS": "120", "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "vertex_tuning", "jobs", "wait", job["name"], "-o", "json"],
                            stdout=subprocess.PIPE, stderr=slave, text=True, env=env)
    os.close(slave)
    out, _ = proc.communicate(timeout=60)
    screen = read_terminal(master)
    assert proc.returncode == 0
    assert json.loads(out)["state"] == "JOB_STATE_SUCCEEDED"  # stdout stays clean JSON
    text = screen.decode("utf-8", "replace")
    assert "elapsed 0:00:0" in text and "\x1b[" in text  # redrawn in place with cursor controls
    assert "+0:00:0" not in text  # not the line-per-change log of a non-terminal
    assert "JOB_STATE_SUCCEEDED after" in text
