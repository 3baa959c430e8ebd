"""Regeneration is all or nothing: failures, SIGINT, SIGTERM and SIGKILL at any step leave the tree as it was.

Every test runs the real pipeline (protoc included) on a scratch copy of protos/ and generated/
whose documents add a field, so a run that got through would change the .proto, the lock and
generated/: "unchanged" is then a claim a broken run would falsify.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from google.protobuf import descriptor_pb2
from test_regen_report import (
    EXPERIMENT_FIELD,
    EXPERIMENT_JSON,
    PROTO,
    REST,
    _scratch_outputs,
    checked_in,
    line_of,
    scratch,
    use_scratch_tree,
)

from tools import openapi, protoc_errors, regen, treeswap
from tools.protogen import NumberLock, render

ROOT = Path(__file__).resolve().parents[2]
ADD_FOO = ((REST, EXPERIMENT_FIELD, EXPERIMENT_FIELD + "fooCount string (int64 format)\n\nOutput only. Foos.\n\n"),
           (REST, EXPERIMENT_JSON, EXPERIMENT_JSON + '  "fooCount": string,\n'))
# A union and a field of one name: the reader takes both, protoc refuses the .proto they make.
FIELD_NAMED_LIKE_A_UNION = (
    (REST, EXPERIMENT_FIELD, EXPERIMENT_FIELD + "tuningSpec string\n\nOptional. The name of a tuning spec.\n\n"),
    (REST, EXPERIMENT_JSON, EXPERIMENT_JSON + '  "tuningSpec": string,\n'))


def tree_bytes(root: Path) -> dict[str, bytes]:
    """Every file of the scratch tree's protos/ and generated/ (documents included), by path."""
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for top in ("protos", "generated") for p in sorted((root / top).rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def as_it_was(root: Path, before: dict[str, bytes]) -> bool:
    """The tree is byte for byte ``before`` and no staging folder is left beside it."""
    return tree_bytes(root) == before and not (root / regen.WORK).exists()


def scratch_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *edits: tuple[str, str, str]) -> Path:
    """protos/ (documents edited) and generated/ in tmp_path, the in-process pipeline pointed at them."""
    root = _scratch_outputs(tmp_path, scratch(tmp_path / "docs", *edits)).parent
    use_scratch_tree(monkeypatch, root)
    return root


def scratch_project(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    """A scratch checkout: tools/, pyproject.toml (the plugin's ruff settings), protos/ with edited documents, generated/."""
    root = tmp_path / "project"
    _scratch_outputs(root, scratch(tmp_path / "docs", *edits))
    shutil.copytree(ROOT / "tools", root / "tools", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


MAKE_GENERATE = [sys.executable, "-m", "tools.regen"]  # what `make generate` runs
CLI = [str(Path(sys.executable).parent / "vertex-tuning"), "regen"]  # the console script a maintainer runs


def start_regen(root: Path, *args: str, pause: str = "", command: list[str] = MAKE_GENERATE) -> subprocess.Popen[str]:
    """The pipeline on the scratch checkout, optionally paused at a step (PAUSE_ENV)."""
    env = {**os.environ, regen.PAUSE_ENV: pause}
    return subprocess.Popen([*command, *args], cwd=root, env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def wait_for_line(proc: subprocess.Popen[str], text: str, timeout: float = 120) -> None:
    """Read the child's stderr until a line containing ``text`` (it prints little before a pause)."""
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if text in line:
            return
        assert line or proc.poll() is None, f"regen ended ({proc.returncode}) before {text!r}"
    raise AssertionError(f"no {text!r} within {timeout} s")


def children(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


@pytest.fixture
def project(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A scratch checkout whose documents add TuningJob.fooCount, with its tree as it was before any run."""
    root = scratch_project(tmp_path, *ADD_FOO)
    return root, tree_bytes(root)


@pytest.mark.parametrize(("step", "signum", "command"), [
    pytest.param(step, signum, command, id=f"{step}-{signum.name}-{'cli' if command is CLI else 'make'}")
    for step, signum, command in [
        ("plan", signal.SIGINT, MAKE_GENERATE), ("protoc", signal.SIGTERM, MAKE_GENERATE),
        ("protoc", signal.SIGINT, CLI), ("tables", signal.SIGTERM, MAKE_GENERATE), ("openapi", signal.SIGINT, CLI),
        ("swap", signal.SIGTERM, MAKE_GENERATE), ("swap", signal.SIGINT, CLI)]
])
def test_a_signal_at_any_step_leaves_the_tree_as_it_was_and_takes_no_number(
    project: tuple[Path, dict[str, bytes]], step: str, signum: signal.Signals, command: list[str]
) -> None:
    root, before = project
    # protoc: the signal lands while the protoc child runs; swap: half-way through the renames (signals held 1 s).
    proc = start_regen(root, pause={"protoc": "protoc:0", "swap": "swap:1"}.get(step, step), command=command)
    wait_for_line(proc, f"paused at {step}")
    if step == "protoc":
        protoc = children(proc.pid)
        assert protoc, "protoc had already finished: the signal would not land during it"
    proc.send_signal(signum)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, err
    assert f"interrupted by {signum.name}; protos/ and generated/ are as they were" in err
    assert "Traceback" not in err
    assert as_it_was(root, before)  # the lock included: no field number was taken
    if step == "protoc":
        assert not any(Path(f"/proc/{pid}").exists() for pid in protoc), "protoc outlived the run"


def test_sigkill_half_way_through_the_swap_is_put_back_by_the_next_run(
    project: tuple[Path, dict[str, bytes]],
) -> None:
    root, before = project
    proc = start_regen(root, pause="swap:60")
    wait_for_line(proc, "paused at swap")
    proc.kill()  # no handler runs: the tree is mixed, the journal says how
    proc.communicate(timeout=60)
    mixed = tree_bytes(root)
    assert mixed != before and (root / regen.WORK / "journal.json").exists()

    check = subprocess.run([sys.executable, "-m", "tools.regen", "--check"], cwd=root, capture_output=True,
                           text=True, timeout=120, check=False)
    assert "put back the old generated, protos/field_numbers.lock.json, protos/google" in check.stdout, check.stdout
    assert tree_bytes(root) == before
    assert check.returncode == 1 and "TuningJob.fooCount added" in check.stdout  # the documents still differ
    assert not (root / regen.WORK).exists()


def test_a_second_run_on_the_same_tree_is_refused_while_one_runs(project: tuple[Path, dict[str, bytes]]) -> None:
    root, before = project
    first = start_regen(root, pause="plan")
    try:
        wait_for_line(first, "paused at plan")
        second = subprocess.run([sys.executable, "-m", "tools.regen"], cwd=root, capture_output=True, text=True,
                                timeout=120, check=False)
        assert second.returncode == 1 and "another regeneration is running" in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    assert tree_bytes(root) == before


def test_an_uninterrupted_run_changes_the_tree_and_a_signal_after_the_commit_says_so(tmp_path: Path) -> None:
    """The counterpart of the tests above: the same documents, let through, do write the new field everywhere;
    a signal that comes once the new tree is in place is reported as coming after it, the tree complete."""
    root = scratch_project(tmp_path / "a", *ADD_FOO)
    before = tree_bytes(root)
    done = subprocess.run(MAKE_GENERATE, cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    after = tree_bytes(root)
    changed = {rel for rel in before.keys() | after.keys() if before.get(rel) != after.get(rel)}
    assert {f"protos/{PROTO}", "protos/field_numbers.lock.json", "generated/ir.json", "generated/openapi.json",
            "generated/descriptor_set.binpb"} <= changed
    assert "foo_count" in after[f"protos/{PROTO}"].decode()
    assert not (root / regen.WORK).exists()

    late = scratch_project(tmp_path / "b", *ADD_FOO)
    proc = start_regen(late, pause="done")
    wait_for_line(proc, "paused at done")
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM
    assert "interrupted by SIGTERM after the new protos/ and generated/ were in place (they are complete)" in err
    assert tree_bytes(late) == after
    assert not (late / regen.WORK).exists()


# ------------------------------------------------------------------ failures in a step


def test_a_failure_in_the_last_step_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = scratch_tree(tmp_path, monkeypatch, *ADD_FOO)
    before = tree_bytes(root)

    def broken(*args: object) -> None:
        raise RuntimeError("openapi generator broke")

    monkeypatch.setattr(openapi, "build", broken)
    with pytest.raises(RuntimeError, match="openapi generator broke"):
        regen.regenerate()
    assert as_it_was(root, before)


def test_a_rename_that_fails_half_way_through_the_swap_is_undone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = scratch_tree(tmp_path, monkeypatch, *ADD_FOO)
    before = tree_bytes(root)
    renames: list[tuple[str, str]] = []
    real = os.rename

    def rename(src: str | Path, dst: str | Path) -> None:
        if (root / regen.WORK / treeswap.JOURNAL).exists():  # a rename of the swap
            renames.append((str(src), str(dst)))
            if len(renames) == 3:  # the lock swapped, protos/google/ refused (as EXDEV or EACCES would)
                raise OSError(18, "Invalid cross-device link")
        real(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="cross-device"):
        regen.regenerate()
    assert len(renames) == 5  # and the two that had happened were undone
    assert as_it_was(root, before)


QUEUED = "JOB_STATE_QUEUED The job has been just created or resumed and processing has not yet begun."
ADD_QUEUED_TO_ADAPTER_SIZE = (REST, "ADAPTER_SIZE_THIRTY_TWO Adapter size 32.\n",
                              "ADAPTER_SIZE_THIRTY_TWO Adapter size 32.\nJOB_STATE_QUEUED Queued.\n")
# case: (edits, the document line protoc's error maps to, what it says, the line of the other declaration, how
# that one is named)
PROTOC_REJECTS = {
    "a field named like a union": (
        FIELD_NAMED_LIKE_A_UNION, "tuningSpec string",
        ('field TuningJob.tuningSpec makes a .proto that protoc rejects: "tuning_spec" is already defined in '
         '"google.cloud.aiplatform.v1.TuningJob".'),
        "supervisedTuningSpec object (SupervisedTuningSpec)",
        "tuning_spec is also union TuningJob.tuning_spec (its member supervisedTuningSpec)"),
    "an enum value named like one of another enum (C++ scoping)": (
        (ADD_QUEUED_TO_ADAPTER_SIZE,), QUEUED,
        ('enum value JobState.JOB_STATE_QUEUED makes a .proto that protoc rejects: "JOB_STATE_QUEUED" is already '
         'defined in "google.cloud.aiplatform.v1". Note that enum values use C++ scoping rules'),
        "JOB_STATE_QUEUED Queued.", "JOB_STATE_QUEUED is also enum value AdapterSize.JOB_STATE_QUEUED"),
}


@pytest.mark.parametrize("case", list(PROTOC_REJECTS))
def test_a_proto_protoc_rejects_is_reported_at_the_document_lines_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    edits, culprit, says, other, also = PROTOC_REJECTS[case]
    root = scratch_tree(tmp_path, monkeypatch, *edits)
    src = root / "protos" / "sources"
    before = tree_bytes(root)
    assert regen.main([]) == 1
    err = capsys.readouterr().err
    first = err.splitlines()[0]
    assert first.startswith(f"error: {REST}:{line_of(src / REST, culprit)}: {says}"), err
    assert f"({PROTO}:" in first
    assert f"{also} at {REST}:{line_of(src / REST, other)})" in first  # the other declaration of the name
    assert "is not defined" not in err and "Import" not in err  # consequences of the first error are left out
    assert as_it_was(root, before)


# ------------------------------------------------------------------ what a run removes and reserves


def test_removed_enum_value_keeps_its_name_and_number_reserved_in_the_descriptors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = scratch_tree(tmp_path, monkeypatch, (REST, "ADAPTER_SIZE_THIRTY_TWO Adapter size 32.\n", ""))
    lock = json.loads((root / "protos" / "field_numbers.lock.json").read_text())
    number = lock["google.cloud.aiplatform.v1.AdapterSize"]["numbers"]["ADAPTER_SIZE_THIRTY_TWO"]
    assert regen.main(["--accept-breaking"]) == 0
    text = (root / "protos" / PROTO).read_text()
    enum = text[text.index("enum AdapterSize {"):]
    enum = enum[: enum.index("\n}\n")]
    assert f"  reserved {number};" in enum and '  reserved "ADAPTER_SIZE_THIRTY_TWO";' in enum
    assert " ADAPTER_SIZE_THIRTY_TWO = " not in enum
    fds = descriptor_pb2.FileDescriptorSet.FromString((root / "generated" / "descriptor_set.binpb").read_bytes())
    (adapter,) = [e for f in fds.file for e in f.enum_type if e.name == "AdapterSize"]
    assert "ADAPTER_SIZE_THIRTY_TWO" in adapter.reserved_name
    assert any(r.start <= number <= r.end for r in adapter.reserved_range)  # enum ranges are inclusive


def test_a_stale_proto_fails_check_by_name_and_regen_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = scratch_tree(tmp_path, monkeypatch)
    expected = tree_bytes(root)
    protos = root / "protos"
    stale = [protos / "google/cloud/aiplatform/v1/tuning_job_old.proto", protos / "stale.proto"]
    for path in stale:
        path.write_text('syntax = "proto3";\n')
    kept = protos / "google" / "README.md"  # not an output: a run keeps it
    kept.write_text("notes\n")

    assert regen.main(["--check"]) == 1
    err = capsys.readouterr().err
    for path in stale:
        assert f"  protos/{path.relative_to(protos).as_posix()} (stale: the documents no longer produce it)" in err
        assert path.exists()  # --check changes nothing
    assert regen.main([]) == 0
    assert not any(path.exists() for path in stale)
    assert kept.read_text() == "notes\n"
    kept.unlink()
    assert tree_bytes(root) == expected
    assert regen.main(["--check"]) == 0


def test_the_command_line_regen_goes_through_the_same_check(tmp_path: Path) -> None:
    root = scratch_project(tmp_path)
    (root / "protos" / "stale.proto").write_text('syntax = "proto3";\n')
    done = subprocess.run([*CLI, "--check"], cwd=root, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "protos/stale.proto (stale" in done.stderr, done.stderr


def test_a_protoc_error_on_a_line_no_document_made_blames_the_generator(tmp_path: Path) -> None:
    """Crafted IR (the documents cannot do this): a host with a quote breaks the service's default_host option."""
    ir, lock = checked_in()
    ir = {**ir, "host": 'aiplatform"googleapis.com'}
    files = render(ir, NumberLock(lock))
    for rel, text in files.items():
        (tmp_path / "protos" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "protos" / rel).write_text(text)
    with pytest.raises(regen.ProtocError) as failed:
        regen.run_protoc(sorted(files), tmp_path / "out", tmp_path / "protos")
    message = str(protoc_errors.explain(failed.value.stderr, files, ir))
    assert message.startswith("google/cloud/aiplatform/v1/genai_tuning_service.proto:"), message
    assert "a line the generator wrote for service GenAiTuningService, from no document line: fix tools/protogen.py" \
        in message


@pytest.mark.parametrize("done", range(6))
def test_recovery_puts_the_old_tree_back_after_a_crash_at_any_rename(tmp_path: Path, done: int) -> None:
    """A swap of a folder, a file and a path that is new, cut short after ``done`` of its renames."""
    tree, stage = tmp_path / "tree", tmp_path / "tree" / regen.WORK / "stage"
    for rel, text in (("protos/google/a.proto", "old a"), ("protos/lock.json", "old lock"), ("protos/x.txt", "kept")):
        (tree / rel).parent.mkdir(parents=True, exist_ok=True)
        (tree / rel).write_text(text)
    for rel, text in (("protos/google/b.proto", "new b"), ("protos/lock.json", "new lock"), ("generated/g", "new")):
        (stage / rel).parent.mkdir(parents=True, exist_ok=True)
        (stage / rel).write_text(text)
    before = {p.relative_to(tree).as_posix(): p.read_text() for p in tree.rglob("*") if p.is_file()
              and regen.WORK not in p.parts}
    moves = [treeswap.Move(tree / rel, stage / rel, stage / "old" / rel)
             for rel in ("protos/google", "protos/lock.json", "generated")]
    treeswap._write_journal(tree / regen.WORK, moves)
    steps = []  # the swap's renames in order: per move, live -> backup (where there is one), staged -> live
    for m in moves:
        steps += [(m.live, m.backup)] if m.live.exists() else []
        steps += [(m.staged, m.live)] if m.staged is not None else []
    assert len(steps) == 5
    for src, dst in steps[:done]:
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(src, dst)
    notes = treeswap.recover(tree / regen.WORK)
    assert notes and "put back the old generated, protos/google, protos/lock.json" in notes[0]
    after = {p.relative_to(tree).as_posix(): p.read_text() for p in tree.rglob("*") if p.is_file()
             and regen.WORK not in p.parts}
    assert after == before
    assert not (tree / regen.WORK / treeswap.JOURNAL).exists()
