"""What reaches a terminal: escaped server text, 80-column tables, notes wrapped between words, NO_COLOR.

Each test runs the ``vertex-tuning`` command in a separate process, on a pseudo-terminal where the
behaviour depends on one, against the reference server (or a server answering what ours never would).
"""

from __future__ import annotations

import json
import re
from typing import Any

from conftest import PROJECT, Run, create_job, install, run_command, run_in_terminal, wait_for_stats
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

RED = "a\x1b[31mredb"  # a display name that would turn a terminal red
ESCAPED = "a\\x1b[31mredb"


def test_server_text_with_control_characters_is_shown_escaped_in_get_and_list(cli: Run,
                                                                                reference_server: str) -> None:
    job = create_job(cli, "--display-name", RED, "--description", "line\rover\u202eturned")
    for args in (("jobs", "get", job["name"]), ("jobs", "list"), ("jobs", "list", "-o", "wide")):
        done = run_command(*args, base_url=reference_server)
        assert done.returncode == 0, done.stderr
        assert "\x1b" not in done.stdout and "\r" not in done.stdout and "\u202e" not in done.stdout
        assert ESCAPED in done.stdout
    shown = run_command("jobs", "get", job["name"], base_url=reference_server).stdout
    assert "line\\rover\\u202eturned" in shown
    as_json = json.loads(run_command("jobs", "get", job["name"], "-o", "json", base_url=reference_server).stdout)
    assert as_json["tunedModelDisplayName"] == RED  # data for programs keeps the exact text (JSON-escaped)


def test_c1_control_characters_are_escaped_in_json_too(cli: Run, reference_server: str) -> None:
    job = create_job(cli, "--display-name", "x\x9b31my")  # \x9b is CSI on terminals that read 8-bit controls
    done = run_command("jobs", "get", job["name"], "-o", "json", base_url=reference_server)
    assert "\x9b" not in done.stdout and "\\u009b" in done.stdout
    assert json.loads(done.stdout)["tunedModelDisplayName"] == "x\x9b31my"


def test_table_widths_are_those_of_the_escaped_text(cli: Run, reference_server: str) -> None:
    create_job(cli, "--display-name", RED)
    create_job(cli, "--display-name", "plain")
    code, screen = run_in_terminal("jobs", "list", base_url=reference_server, columns=200)
    assert code == 0, screen
    assert "\x1b" not in screen  # NO_COLOR: no styling, and the server's escape is shown, not sent
    lines = screen.splitlines()
    column = lines[0].index("BASE MODEL")
    assert [line.index("gemini-1.0-pro-002") for line in lines[1:3]] == [column, column]


def _job_server(job: dict[str, Any], error: dict[str, Any] | None = None) -> Starlette:
    async def answer(request: Request) -> JSONResponse:
        if error is not None:
            return JSONResponse({"error": error}, status_code=error["code"])
        return JSONResponse({**job, "name": request.url.path.removeprefix("/v1/")})

    return Starlette(routes=[Route("/v1/{path:path}", answer)])


def test_errors_and_progress_lines_escape_server_text(_served_slot: Any) -> None:
    evil = "\x1b]0;owned\x07\x1b[2J"
    base_url = install(_served_slot, _job_server({}, error={"code": 400, "status": "INVALID_ARGUMENT",
                                                            "message": f"bad {evil} thing"}))
    try:
        failed = run_command("jobs", "get", "1", base_url=base_url)
        assert failed.returncode == 4
        assert "\x1b" not in failed.stderr and "\x07" not in failed.stderr
        assert failed.stderr.startswith("error: INVALID_ARGUMENT: bad \\x1b]0;owned\\x07\\x1b[2J thing")
        install(_served_slot, _job_server({"state": "JOB_STATE_RUNNING", "tunedModelDisplayName": evil}))
        waited = run_command("jobs", "wait", "1\x1b[31m", "--timeout", "1", base_url=base_url)
        assert waited.returncode == 8, waited.stderr
        assert "JOB_STATE_RUNNING" in waited.stderr and "\x1b" not in waited.stderr
        assert "tuningJobs/1\\x1b[31m is still JOB_STATE_RUNNING" in waited.stderr
        code, screen = run_in_terminal("jobs", "wait", "1\x1b[31m", "--timeout", "1", base_url=base_url)
        assert code == 8
        assert "1\x1b[31m" not in screen and "1\\x1b[31m" in screen  # the live line and the error
    finally:
        _served_slot[0].app = None


def test_jobs_list_at_80_columns_shows_short_ids_and_the_useful_columns(cli: Run, reference_server: str) -> None:
    names = [create_job(cli, "--display-name", f"support-bot [v{i}]")["name"] for i in range(2)]
    code, screen = run_in_terminal("jobs", "list", base_url=reference_server, columns=80)
    assert code == 0, screen
    lines = screen.splitlines()
    assert lines[0].split()[:2] == ["ID", "STATE"]
    for header in ("DISPLAY NAME", "BASE MODEL"):
        assert header in lines[0]
    assert [line.split()[0] for line in lines[1:3]] == [n.rsplit("/", 1)[1] for n in names[::-1]]
    assert all(len(line) <= 80 for line in lines), screen
    assert lines[3:] == ["(CREATED: not shown for lack of width; see --output json)"]
    assert "support-bot [v1]" in lines[1]
    code, wide = run_in_terminal("jobs", "list", "-o", "wide", base_url=reference_server, columns=80)
    assert code == 0 and [line.split()[0] for line in wide.splitlines()[1:3]] == names[::-1]
    listed = json.loads(run_command("jobs", "list", "-o", "json", base_url=reference_server).stdout)
    assert [j["name"] for j in listed] == names[::-1]


def test_notes_wrap_between_words_never_inside_one(cli: Run, reference_server: str) -> None:
    for i in range(2):
        create_job(cli, "--display-name", f"bot {i}")
    code, screen = run_in_terminal("jobs", "list", "--limit", "1", base_url=reference_server, columns=40)
    assert code == 0, screen
    lines = screen.splitlines()
    note = lines[next(i for i, line in enumerate(lines) if line.startswith("(")):]
    assert len(note) >= 3 and all(len(line) <= 40 for line in note), note  # wrapped by us, at 40 columns
    joined = " ".join(line.strip() for line in note)  # wrapped only at spaces: joining restores the words
    assert joined.endswith(": not shown for lack of width; see --output json) "
                           "showing the first 1; pass --limit N (0 for all) to see more"), joined


def test_no_color_means_no_bold_either(cli: Run, reference_server: str) -> None:
    job = create_job(cli)
    code, plain = run_in_terminal("jobs", "get", job["name"], base_url=reference_server)
    assert code == 0 and "state:" in plain
    assert "\x1b[" not in plain
    code, styled = run_in_terminal("jobs", "get", job["name"], base_url=reference_server, NO_COLOR="")
    assert code == 0 and "\x1b[1m" in styled  # without NO_COLOR the keys are bold: the check can see styling


def test_no_tuning_jobs_is_a_note_on_stderr_and_stdout_stays_data(reference_server: str) -> None:
    done = run_command("jobs", "list", base_url=reference_server)
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr == f"no tuning jobs in projects/{PROJECT}/locations/us-central1\n"


def test_emoji_in_a_display_name_draws_without_a_glyph_warning(live_cli: Any, _served_slot: Any,
                                                                tmp_path: Any) -> None:
    cli = live_cli(job_duration=1.0)
    job = create_job(cli, "--display-name", "support-bot 🤖")
    wait_for_stats(cli, job["name"])
    png = tmp_path / "stats.png"
    done = run_command("jobs", "stats", job["name"], "--png", str(png), base_url=_served_slot[1])
    assert done.returncode == 0, done.stderr
    assert png.stat().st_size > 1000
    assert "Glyph" not in done.stderr and "Warning" not in done.stderr
    assert re.fullmatch(r"wrote .*stats\.png \(\d+x\d+ px\)\n", done.stderr)


def test_stats_of_a_cancelled_job_says_they_will_not_come(cli: Run, reference_server: str, fast_clock: Any) -> None:
    job = create_job(cli)
    assert cli("jobs", "cancel", job["name"]).exit_code == 0
    fast_clock.advance(30)
    cancelled = run_command("jobs", "wait", job["name"], "-q", base_url=reference_server)
    assert cancelled.returncode == 1
    done = run_command("jobs", "stats", job["name"], base_url=reference_server)
    assert done.returncode == 1
    assert done.stderr == (f"error: {job['name']} has no tuning data statistics and will not get any: it ended "
                           "JOB_STATE_CANCELLED before its data was analysed\n")
    assert "once it runs" not in done.stderr
    fresh = create_job(cli)
    queued = run_command("jobs", "stats", fresh["name"], base_url=reference_server)
    assert "they appear once it runs" in queued.stderr
