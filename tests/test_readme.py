"""Every code block of README.md is run or checked, so none of them goes stale.

* ``python`` blocks run in a fresh interpreter against a local reference server (its URL in
  ``VERTEX_TUNING_BASE_URL``, and in place of the ``http://127.0.0.1:8080`` the blocks name; a job name
  ``…/tuningJobs/1`` becomes a job that exists there).
* The ``console`` session of "Command line" is replayed command by command against a fresh reference
  server, each command in its own process; the output is compared with the README's. ``...`` stands
  for lines left out; times and clock readings (``2026-11-26 09:29:51Z``, ``09:29:54``, ``0:00:10``)
  match any. ``jobs list`` runs on an 80-column terminal (as printed there); the rest with stdout and
  stderr on one pipe, in the order written, as a shell shows them.
* Other blocks (shell commands, usage lines, layout trees, diagrams, quoted reports) have what they
  name checked: the make targets, the command options, the files and directories exist.

``python tests/test_readme.py`` prints the replayed session, to paste into the README after a change.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
PLACEHOLDER_URL = "http://127.0.0.1:8080"
JOB_SECONDS = 10.0  # long enough that the second job is still running when the session cancels it


@dataclass
class Block:
    """A fenced code block: its language tag, text, the section it is in and its first line number."""

    language: str
    text: str
    section: str
    line: int


def blocks() -> list[Block]:
    """Every fenced block of the README, in order."""
    found: list[Block] = []
    section, inside, language, start, body = "", False, "", 0, []
    for number, line in enumerate(README.read_text(encoding="utf-8").splitlines(), 1):
        if not inside and line.startswith("## "):
            section = line[3:].strip()
        if line.startswith("```"):
            if inside:
                found.append(Block(language, "\n".join(body), section, start))
            else:
                language, start, body = line[3:].strip(), number, []
            inside = not inside
        elif inside:
            body.append(line)
    assert not inside, "an unclosed code block"
    return found


def _id(block: Block) -> str:
    return f"README.md:{block.line}:{block.language or 'text'}"


# ---------------------------------------------------------------- python blocks
PYTHON = [b for b in blocks() if b.language == "python"]


@pytest.fixture(scope="module")
def readme_server() -> Iterator[str]:
    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    with serve(create_app(job_duration=1.0)) as url:
        yield url


def _env(base_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GOOGLE_CLOUD_", "VERTEX_TUNING_")) and k not in ("COLUMNS", "LINES")}
    return env | {"VERTEX_TUNING_BASE_URL": base_url, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"} | extra


@pytest.mark.parametrize("block", PYTHON, ids=_id)
def test_python_block_runs_against_a_local_reference_server(block: Block, readme_server: str) -> None:
    from vertex_tuning import SupervisedTuningSpec, TuningJob, TuningJobsClient

    with TuningJobsClient("p", base_url=readme_server) as client:  # the job the SDK examples read
        spec = SupervisedTuningSpec(training_dataset_uri="gs://b/t.jsonl")
        existing = client.create_tuning_job(tuning_job=TuningJob(base_model="gemini-1.0-pro-002",
                                                                 supervised_tuning_spec=spec))
    code = block.text.replace(PLACEHOLDER_URL, readme_server)
    code = code.replace('"projects/p/locations/us-central1/tuningJobs/1"', repr(existing.name))
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=90,
                          env=_env(readme_server), cwd=ROOT, check=False)
    assert done.returncode == 0, f"{_id(block)} failed:\n{done.stderr[-3000:]}"


# ---------------------------------------------------------------- the command-line session
@dataclass
class Step:
    """``$ command`` and the output the README shows for it."""

    command: str
    expected: list[str]


def session_steps(text: str) -> list[Step]:
    """The ``$`` commands of a console block and the lines shown after each."""
    steps: list[Step] = []
    for line in text.splitlines():
        if line.startswith("$ "):
            steps.append(Step(line[2:], []))
        elif steps:
            steps[-1].expected.append(line)
    return steps


def _normalized(line: str) -> str:
    line = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ", "<time>", line.rstrip())
    return re.sub(r"\b\d{1,2}:\d\d:\d\d\b", "<clock>", line)


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` is ``expected`` with ``...`` lines standing for any lines (times normalized)."""
    while expected and not expected[-1].strip():
        expected = expected[:-1]
    while actual and not actual[-1].strip():
        actual = actual[:-1]
    pattern = "".join("(?:.*\n)*?" if line.strip() == "..." else re.escape(_normalized(line)) + "\n"
                      for line in expected)
    return re.fullmatch(pattern, "".join(_normalized(line) + "\n" for line in actual)) is not None


def replay(steps: list[Step], base_url: str, cwd: Path) -> Iterator[tuple[Step, list[str]]]:
    """Run each step as a shell would (``export``, ``echo $?``, commands); each step with its real output."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("readme_command_runner", ROOT / "tests" / "cli" / "command_runner.py")
    assert spec is not None and spec.loader is not None
    runner = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(runner)  # the CLI tests' pseudo-terminal runner
    run_in_terminal = runner.run_in_terminal

    env = _env(base_url)
    status = 0
    for step in steps:
        words = shlex.split(step.command, comments=True)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            env[name] = base_url if value == PLACEHOLDER_URL else value
            yield step, []
            continue
        if words == ["echo", "$?"]:
            yield step, [str(status)]
            continue
        assert words[0] == "vertex-tuning", step.command
        if words[1:3] == ["jobs", "list"]:
            status, screen = run_in_terminal(*words[1:], base_url=env["VERTEX_TUNING_BASE_URL"], columns=80,
                                             GOOGLE_CLOUD_PROJECT=env["GOOGLE_CLOUD_PROJECT"])
            yield step, screen.splitlines()
            continue
        done = subprocess.run([sys.executable, "-m", "vertex_tuning", *words[1:]], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, env=env, cwd=cwd, timeout=90, check=False)
        status = done.returncode
        yield step, done.stdout.splitlines()


SESSION = next(b for b in blocks() if b.language == "console" and b.section == "Command line")


def test_the_command_line_session_prints_what_the_readme_shows(tmp_path: Path) -> None:
    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    (tmp_path / "docs").mkdir()
    steps = session_steps(SESSION.text)
    assert any("jobs list" in s.command for s in steps) and any(s.command == "echo $?" for s in steps)
    with serve(create_app(job_duration=JOB_SECONDS)) as base_url:
        for step, actual in replay(steps, base_url, tmp_path):
            assert output_matches(step.expected, actual), (
                f"$ {step.command}\n--- README shows:\n" + "\n".join(step.expected)
                + "\n--- it prints:\n" + "\n".join(actual))
    assert (tmp_path / "docs" / "jobs-stats.png").stat().st_size > 1000


def test_the_session_shows_the_80_column_list_and_a_usage_error() -> None:
    text = SESSION.text
    listing = text.split("$ vertex-tuning jobs list", 1)[1].splitlines()[1:4]
    assert listing[0].split()[:2] == ["ID", "STATE"] and all(len(line) <= 80 for line in listing)
    assert "see 'vertex-tuning jobs list --help'" in text


def test_output_matching_is_strict_enough_to_fail() -> None:
    assert output_matches(["a", "...", "b 2026-01-01 00:00:00Z"], ["a", "x", "y", "b 2027-02-02 11:11:11Z"])
    assert not output_matches(["a", "b"], ["a", "c"])
    assert not output_matches(["a"], ["a", "extra"])
    assert not output_matches(["ID  STATE"], ["NAME  STATE"])


# ---------------------------------------------------------------- every other block
def _make_targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))


def _help(*command: str) -> str:
    done = subprocess.run([sys.executable, "-m", "vertex_tuning", *command, "--help"], capture_output=True,
                          text=True, timeout=60, env={**os.environ, "COLUMNS": "200"}, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def check_named_things(block: Block) -> None:
    """What a non-Python block names exists: make targets, vertex-tuning options, paths."""
    text = block.text
    for target in re.findall(r"(?:^|\$ )make ([a-z-]+)", text, re.MULTILINE):
        assert target in _make_targets(), f"{_id(block)}: no make target {target!r}"
    for line in text.splitlines():
        words = line.removeprefix("$ ").split()
        if words[:1] == ["vertex-tuning"] and len(words) > 1 and not words[1].startswith("-"):
            shown = _help(words[1])
            for option in re.findall(r"--[a-z][a-z-]*", line):
                assert option in shown, f"{_id(block)}: `vertex-tuning {words[1]}` has no {option}"
    for path in re.findall(r"(?<![\w./-])((?:protos|generated|tools|src|tests|contract_tests|benchmarks|docs)"
                           r"/[\w./-]*[\w/])", text):
        assert any((ROOT / p).exists() for p in (path, path + ".py")) or "*" in path, f"{_id(block)}: no {path}"


OTHERS = [b for b in blocks() if b.language != "python" and b != SESSION]


@pytest.mark.parametrize("block", OTHERS, ids=_id)
def test_other_blocks_name_only_things_that_exist(block: Block) -> None:
    assert block.language in ("", "console", "text"), f"{_id(block)}: no check for {block.language!r} blocks"
    check_named_things(block)


def test_every_block_is_covered() -> None:
    assert len(PYTHON) + 1 + len(OTHERS) == len(blocks())
    assert len(PYTHON) >= 5


if __name__ == "__main__":  # print the replayed session, to update the README
    import tempfile

    from vertex_tuning.server import create_app
    from vertex_tuning.server.testing import serve

    with serve(create_app(job_duration=JOB_SECONDS)) as url, tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / "docs").mkdir()
        for ran, output in replay(session_steps(SESSION.text), url, Path(scratch)):
            print(f"$ {ran.command}")
            print("\n".join(output))
