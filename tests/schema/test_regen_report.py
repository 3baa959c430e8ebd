"""Regeneration over edited scratch copies of the two documents: what the report says, what is refused.

Each test edits copies of protos/sources/ in a temp dir and plans a regeneration against the
checked-in IR and lock (no protoc, except the end-to-end tests at the bottom).
"""

from __future__ import annotations

import json
import re
import shutil
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from google.protobuf import descriptor_pb2

from tools import regen
from tools.docparse import DocError
from tools.regen import Options, Plan, Refused, plan

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "protos" / "sources"
REST = next(SOURCES.glob("001_*.txt")).name  # the REST page
PYTHON = next(SOURCES.glob("000_*.txt")).name  # the Python-client page, whichever version
JOB = "google.cloud.aiplatform.v1.TuningJob"
HYPER = "google.cloud.aiplatform.v1.SupervisedHyperParameters"
PROTO = "google/cloud/aiplatform/v1/tuning_job.proto"

EXPERIMENT_FIELD = "experiment string\n\nOutput only. The Experiment associated with this TuningJob.\n\n"
EXPERIMENT_JSON = '  "experiment": string,\n'
# Removing a field from the documents: from the REST page's two parts and every Python template.
REMOVE_EXPERIMENT = ((REST, EXPERIMENT_FIELD, ""), (REST, EXPERIMENT_JSON, ""),
                     (PYTHON, r're:^ *"experiment": "A String",.*\n', ""))


@cache
def checked_in() -> tuple[dict[str, Any], dict[str, Any]]:
    ir = json.loads((ROOT / "generated" / "ir.json").read_text())
    lock = json.loads((ROOT / "protos" / "field_numbers.lock.json").read_text())
    return ir, lock


def scratch(tmp_path: Path, *edits: tuple[str, str, str]) -> Path:
    """Copies of both documents with (document, old, new) replacements: text once, or every ``re:`` match."""
    folder = tmp_path / "sources"
    folder.mkdir(parents=True, exist_ok=True)
    for src in SOURCES.glob("*.txt"):
        shutil.copy(src, folder / src.name)
    for name, old, new in edits:
        text = (folder / name).read_text()
        if old.startswith("re:"):
            text, count = re.subn(old[3:], new, text, flags=re.MULTILINE)
            assert count, old
        else:
            assert old in text, old
            text = text.replace(old, new, 1)
        (folder / name).write_text(text)
    return folder


def line_of(path: Path, needle: str, nth: int = 1) -> int:
    """The line number of the ``nth`` line that is exactly ``needle``."""
    return [i for i, line in enumerate(path.read_text().splitlines(), 1) if line == needle][nth - 1]


def planned(sources: Path, options: Options | None = None, base: Plan | None = None) -> Plan:
    ir, lock = (base.ir, base.lock.to_json()) if base else checked_in()
    return plan(sources, ir, lock, options or Options())


def number(p: Plan, owner: str, name: str) -> int:
    value: int = p.lock.to_json()[owner]["numbers"][name]
    return value


# ------------------------------------------------------------------ the report


def test_unchanged_documents_report_nothing_and_render_the_checked_in_protos(tmp_path: Path) -> None:
    p = planned(scratch(tmp_path))
    assert p.report.changes == []
    assert p.files[PROTO] == (ROOT / "protos" / PROTO).read_text()


def test_added_field_is_reported_as_compatible_with_its_line_and_takes_the_next_number(tmp_path: Path) -> None:
    src = scratch(tmp_path,
                  (REST, EXPERIMENT_FIELD, EXPERIMENT_FIELD + "fooCount string (int64 format)\n\nOutput only. Foos.\n\n"),
                  (REST, EXPERIMENT_JSON, EXPERIMENT_JSON + '  "fooCount": string,\n'))
    p = planned(src)
    (change,) = p.report.changes
    assert (change.action, change.element, change.name, change.breaking) == ("added", "field", "TuningJob.fooCount",
                                                                            False)
    assert change.where == f"{REST}:{line_of(src / REST, 'fooCount string (int64 format)')}"
    assert "int64" in change.detail and "OUTPUT_ONLY" in change.detail
    before = checked_in()[1][JOB]["numbers"]
    assert number(p, JOB, "foo_count") == max(before.values()) + 1
    assert {k: v for k, v in p.lock.to_json()[JOB]["numbers"].items() if k != "foo_count"} == before
    assert "compatible: field TuningJob.fooCount added" in p.report.to_text()


def test_a_wire_compatible_type_change_still_breaks_json_and_source(tmp_path: Path) -> None:
    src = scratch(tmp_path, (REST, "epochCount string (int64 format)", "epochCount string (bytes format)"))
    with pytest.raises(Refused) as refused:
        planned(src)
    (change,) = refused.value.report.changes
    assert change.detail == "type int64 -> bytes" and set(change.breaks) == {"json", "wire", "source"}
    src = scratch(tmp_path / "b", (REST, "epochCount string (int64 format)", "epochCount integer"))
    with pytest.raises(Refused) as refused:
        planned(src)
    (change,) = refused.value.report.changes
    assert change.detail == "type int64 -> int32" and set(change.breaks) == {"json", "source"}


def test_changed_description_is_reported_as_compatible(tmp_path: Path) -> None:
    src = scratch(tmp_path, (REST, "Optional. The description of the TuningJob.", "Optional. What the TuningJob is for."))
    (change,) = planned(src).report.changes
    assert (change.name, change.detail, change.breaking) == ("TuningJob.description", "description", False)
    assert change.where == f"{REST}:{line_of(src / REST, 'description string')}"


def test_removed_field_is_refused_then_accepted_with_number_and_name_reserved(tmp_path: Path) -> None:
    src = scratch(tmp_path, *REMOVE_EXPERIMENT)
    with pytest.raises(Refused) as refused:
        planned(src)
    (change,) = refused.value.report.breaking
    assert (change.action, change.name) == ("removed", "TuningJob.experiment")
    assert set(change.breaks) == {"json", "source"}
    assert change.where == f"{REST}:{line_of(SOURCES / REST, 'experiment string')}"  # where it was
    assert f"was {change.where}: BREAKING (json, source)" in refused.value.report.to_text()

    p = planned(src, Options(accept_breaking=True))
    old = checked_in()[1][JOB]["numbers"]["experiment"]
    assert p.lock.to_json()[JOB]["reserved"] == {"experiment": old}
    assert f"  reserved {old};" in p.files[PROTO] and '  reserved "experiment";' in p.files[PROTO]
    assert " experiment = " not in p.files[PROTO]


def test_type_change_is_refused_and_when_accepted_takes_a_new_number_reserving_the_old(tmp_path: Path) -> None:
    src = scratch(tmp_path, (REST, "epochCount string (int64 format)", "epochCount string"))
    with pytest.raises(Refused) as refused:
        planned(src)
    (change,) = refused.value.report.changes
    assert change.name == "SupervisedHyperParameters.epochCount" and "int64 -> string" in change.detail
    assert set(change.breaks) == {"json", "wire", "source"}
    assert change.where == f"{REST}:{line_of(src / REST, 'epochCount string')}"

    p = planned(src, Options(accept_breaking=True))
    old = checked_in()[1][HYPER]["numbers"]["epoch_count"]
    new = number(p, HYPER, "epoch_count")
    assert p.report.retyped == [(HYPER, "epoch_count")]
    assert new not in checked_in()[1][HYPER]["numbers"].values()
    assert str(old) in p.lock.to_json()[HYPER]["reserved_numbers"]
    assert f"string epoch_count = {new}" in p.files[PROTO] and f"  reserved {old};" in p.files[PROTO]
    assert any("new number" in note for note in p.notes)


def test_a_removed_name_that_comes_back_is_refused_at_its_line_then_revived_explicitly(tmp_path: Path) -> None:
    removed = planned(scratch(tmp_path / "a", *REMOVE_EXPERIMENT),
                      Options(accept_breaking=True))
    back = scratch(tmp_path / "b")
    with pytest.raises(DocError) as err:
        planned(back, base=removed)
    message = str(err.value)
    assert message.startswith(f"{REST}:{line_of(back / REST, 'experiment string')}: ")
    assert "--revive TuningJob.experiment" in message and "reserved" in message

    revived = planned(back, Options(revive=("TuningJob.experiment",)), base=removed)
    old = checked_in()[1][JOB]["numbers"]["experiment"]
    entry = revived.lock.to_json()[JOB]
    assert entry["numbers"]["experiment"] != old and "experiment" not in entry["reserved"]
    assert str(old) in entry["reserved_numbers"] and "experiment" in entry["revived"]
    assert f" experiment = {entry['numbers']['experiment']} " in revived.files[PROTO]


def test_reviving_a_name_that_is_not_reserved_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(regen.UsageError, match="not a reserved name"):
        planned(scratch(tmp_path), Options(revive=("TuningJob.experiment",)))


def test_output_only_inferred_for_stats_reached_only_through_output_only_fields(tmp_path: Path) -> None:
    ir = planned(scratch(tmp_path)).ir
    stats = {f["json_name"]: f for f in ir["messages"]["google.cloud.aiplatform.v1.SupervisedTuningDataStats"]["fields"]}
    for name in ("totalTruncatedExampleCount", "truncatedExampleIndices"):
        if name not in stats:
            pytest.skip(f"SupervisedTuningDataStats.{name} is not in {PYTHON}")
        assert "OUTPUT_ONLY" in stats[name]["behaviors"]
        assert "TuningDataStats" in stats[name]["inferred_behaviors"]["OUTPUT_ONLY"]
    assert "inferred_behaviors" not in stats["tuningStepCount"]  # stated by the documents
    # A field that states its own behaviour keeps it (Content is shared with inputs in Google's API).
    parts = next(f for f in ir["messages"]["google.cloud.aiplatform.v1.Content"]["fields"] if f["name"] == "parts")
    assert parts["behaviors"] == ["REQUIRED"]
    # Compared with an IR without the inference, the report lists it apart from stated changes.
    plain = json.loads(json.dumps(ir))
    for msg in plain["messages"].values():
        for f in msg["fields"]:
            if f.pop("inferred_behaviors", None):
                f["behaviors"].remove("OUTPUT_ONLY")
    report = plan(scratch(tmp_path), plain, checked_in()[1], Options()).report
    inferred = [f for m in ir["messages"].values() for f in m["fields"] if f.get("inferred_behaviors")]
    assert len(report.to_json()["inferred"]) == len(inferred) >= 3 and report.to_json()["changes"] == []


def test_method_removed_and_http_rule_changed_are_breaking(tmp_path: Path) -> None:
    old = json.loads(json.dumps(checked_in()[0]))
    cancel = next(m for m in old["methods"] if m["name"] == "CancelTuningJob")
    cancel["http"]["path"] = cancel["http"]["path"].replace(":cancel", ":stop")
    old["methods"].append({**cancel, "name": "PauseTuningJob"})
    report = plan(scratch(tmp_path), old, checked_in()[1], Options(accept_breaking=True)).report
    kinds = {(c.element, c.action, c.name): set(c.breaks) for c in report.changes}
    assert kinds[("http rule", "changed", "GenAiTuningService.CancelTuningJob")] == {"json"}
    assert kinds[("method", "removed", "GenAiTuningService.PauseTuningJob")] == {"json", "wire", "source"}


def test_enum_value_added_is_compatible_and_removed_is_breaking(tmp_path: Path) -> None:
    added = scratch(tmp_path / "a", (REST, "ADAPTER_SIZE_THIRTY_TWO Adapter size 32.\n",
                                     "ADAPTER_SIZE_THIRTY_TWO Adapter size 32.\nADAPTER_SIZE_SIXTY_FOUR Adapter size 64.\n"))
    (change,) = planned(added).report.changes
    assert (change.element, change.name, change.breaking) == ("enum value", "AdapterSize.ADAPTER_SIZE_SIXTY_FOUR",
                                                              False)
    removed = scratch(tmp_path / "b", (REST, "ADAPTER_SIZE_THIRTY_TWO Adapter size 32.\n", ""))
    with pytest.raises(Refused):
        planned(removed)


# ------------------------------------------------------------------ lines the reader does not understand

FIELD_LINE = "fooCount bigint\n\nThe number of foos.\n\n"
MALFORMED = {
    "enum value that is not one": (
        [(REST, "ADAPTER_SIZE_THIRTY_TWO Adapter size 32.\n",
          "ADAPTER_SIZE_THIRTY_TWO Adapter size 32.\nADAPTER size two, maybe\n")],
        REST, "ADAPTER size two, maybe", "enum value line"),
    "field with an unknown type, missing from the JSON representation": (
        [(REST, EXPERIMENT_FIELD, EXPERIMENT_FIELD + FIELD_LINE)], REST, "fooCount bigint", "known type phrase"),
    "field with an unknown type, in the JSON representation too": (
        [(REST, EXPERIMENT_FIELD, EXPERIMENT_FIELD + FIELD_LINE),
         (REST, EXPERIMENT_JSON, EXPERIMENT_JSON + '  "fooCount": string,\n')],
        REST, "fooCount bigint", "known type phrase"),
    "field missing from the JSON representation": (
        [(REST, EXPERIMENT_FIELD, EXPERIMENT_FIELD + "fooCount string\n\nFoos.\n\n")],
        REST, "fooCount string", "missing from its JSON representation"),
    "field only in the JSON representation": (
        [(REST, EXPERIMENT_JSON, EXPERIMENT_JSON + '  "fooCount": string,\n')],
        REST, '  "fooCount": string,', "not in its Fields list"),
    "a line the JSON representation cannot have": (
        [(REST, EXPERIMENT_JSON, EXPERIMENT_JSON + "  fooCount is here\n")],
        REST, "  fooCount is here", "a line of the JSON representation"),
    "a second paragraph in the method list": (
        [(REST, "cancel\n\nCancels a TuningJob.\n", "cancel\n\nCancels a TuningJob.\n\nAnd then some.\n")],
        REST, "And then some.", "method name"),
    "a stray line in the Python page's method list": (
        [(PYTHON, "close()\n\nClose httplib2 connections.\n", "close()\n\nClose httplib2 connections.\n\nA stray line.\n")],
        PYTHON, "A stray line.", "method signature"),
    "a stray line in the Python page's method details": (
        [(PYTHON, "Returns:\n  An object of the form:\n", "Returns:\nA stray line.\n  An object of the form:\n")],
        PYTHON, "A stray line.", "a line of a method's details"),
    "a field in one Python template of a message but not another": (
        [(PYTHON, '  "experiment": "A String", # Output only. The Experiment associated with this TuningJob.\n', "")],
        PYTHON, "{ # Represents a TuningJob that runs with Google owned models.",  # the template lacking it
        "lacks field experiment"),
    "a field listed twice": (
        [(REST, EXPERIMENT_FIELD, EXPERIMENT_FIELD + "description string\n\nAgain.\n\n")],
        REST, ("description string", 2), "listed a second time"),
    "a sample value the Python page never uses": (
        [(PYTHON, '"experiment": "A String",', '"experiment": A String,')],
        PYTHON, '  "experiment": A String, # Output only. The Experiment associated with this TuningJob.',
        "sample value"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_line_is_an_error_at_its_own_file_and_line(tmp_path: Path, case: str) -> None:
    edits, document, line, expected = MALFORMED[case]
    needle, nth = line if isinstance(line, tuple) else (line, 1)
    src = scratch(tmp_path, *edits)
    with pytest.raises(DocError) as err:
        planned(src)
    assert str(err.value).startswith(f"{document}:{line_of(src / document, needle, nth)}: "), str(err.value)
    assert expected in str(err.value)


def test_no_traceback_from_the_command_for_a_malformed_document(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scratch(tmp_path, (REST, EXPERIMENT_FIELD, EXPERIMENT_FIELD + FIELD_LINE))
    monkeypatch.setattr(regen, "PROTOS", _scratch_outputs(tmp_path, src))
    monkeypatch.setattr(regen, "GENERATED", tmp_path / "generated")
    monkeypatch.setattr(regen, "LOCK", tmp_path / "protos" / "field_numbers.lock.json")
    assert regen.main([]) == 1
    assert f"error: {REST}:{line_of(src / REST, 'fooCount bigint')}: expected a known type phrase" in capsys.readouterr().err


# ------------------------------------------------------------------ numbers from a descriptor set


def _google_like_descriptors(path: Path) -> Path:
    """A FileDescriptorSet numbering TuningJob and JobState differently from our lock."""
    T = descriptor_pb2.FieldDescriptorProto
    fds = descriptor_pb2.FileDescriptorSet()
    f = fds.file.add(name="google/cloud/aiplatform/v1/tuning_job.proto", package="google.cloud.aiplatform.v1")
    job = f.message_type.add(name="TuningJob")
    for name, num in (("name", 1), ("tuned_model_display_name", 2), ("description", 3), ("state", 6),
                      ("create_time", 7), ("future_field", 4)):
        job.field.add(name=name, number=num, type=T.TYPE_STRING)
    state = f.enum_type.add(name="JobState")
    state.value.add(name="JOB_STATE_UNSPECIFIED", number=0)
    state.value.add(name="JOB_STATE_RUNNING", number=3)
    path.write_bytes(fds.SerializeToString())
    return path


def test_numbers_from_a_descriptor_set_are_adopted_by_full_name_and_kept(tmp_path: Path) -> None:
    seed = _google_like_descriptors(tmp_path / "google.binpb")
    p = planned(scratch(tmp_path), Options(numbers_from=seed))
    numbers = p.lock.to_json()[JOB]["numbers"]
    assert (numbers["state"], numbers["create_time"], numbers["name"]) == (6, 7, 1)
    assert 4 not in numbers.values()  # theirs, for a field the documents lack: never taken by another
    assert len(set(numbers.values())) == len(numbers)
    assert "JobState state = 6 " in p.files[PROTO]
    assert p.lock.to_json()["google.cloud.aiplatform.v1.JobState"]["numbers"]["JOB_STATE_RUNNING"] == 3
    again = plan(scratch(tmp_path), p.ir, p.lock.to_json(), Options())  # a later run keeps them
    assert again.lock.to_json()[JOB]["numbers"] == numbers and again.files == p.files


# ------------------------------------------------------------------ end to end, through protoc


def _scratch_outputs(tmp_path: Path, sources: Path) -> Path:
    """protos/ and generated/ copied into tmp_path, with the edited documents as protos/sources."""
    shutil.copytree(ROOT / "protos", tmp_path / "protos", ignore=shutil.ignore_patterns("sources"))
    shutil.copytree(sources, tmp_path / "protos" / "sources")
    shutil.copytree(ROOT / "generated", tmp_path / "generated", ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "protos"


def use_scratch_tree(monkeypatch: pytest.MonkeyPatch, root: Path) -> Path:
    """Point the pipeline at ``root`` (protos/ and generated/ made by ``_scratch_outputs``); return its protos/.

    ROOT stays the checkout: protoc runs there so the betterproto2 plugin formats with the project's settings.
    """
    for name, value in (("PROTOS", root / "protos"), ("GENERATED", root / "generated"),
                        ("PACKAGE_DIR", root / "generated" / "vertex_tuning_protos"),
                        ("LOCK", root / "protos" / "field_numbers.lock.json")):
        monkeypatch.setattr(regen, name, value)
    return root / "protos"


def test_accepted_type_change_compiles_with_the_old_number_reserved(tmp_path: Path) -> None:
    p = planned(scratch(tmp_path, (REST, "epochCount string (int64 format)", "epochCount string")),
                Options(accept_breaking=True))
    protos = tmp_path / "protos"
    for rel, text in p.files.items():
        (protos / rel).parent.mkdir(parents=True, exist_ok=True)
        (protos / rel).write_text(text)
    descriptor = regen.run_protoc(sorted(p.files), tmp_path / "out", protos)
    fds = descriptor_pb2.FileDescriptorSet.FromString(descriptor.read_bytes())
    msg = next(m for f in fds.file for m in f.message_type if m.name == "SupervisedHyperParameters")
    field = next(f for f in msg.field if f.name == "epoch_count")
    old = checked_in()[1][HYPER]["numbers"]["epoch_count"]
    assert field.type == descriptor_pb2.FieldDescriptorProto.TYPE_STRING and field.number != old
    assert any(r.start <= old < r.end for r in msg.reserved_range)


def test_regen_command_refuses_checks_and_reports_on_scratch_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scratch(tmp_path / "docs", *REMOVE_EXPERIMENT)
    protos = use_scratch_tree(monkeypatch, _scratch_outputs(tmp_path, src).parent)
    before = (protos / PROTO).read_text()

    assert regen.main(["--report", str(tmp_path / "r.json")]) == 2  # refused: nothing written
    err = capsys.readouterr().err
    assert "BREAKING (json, source): field TuningJob.experiment removed" in err and "refused" in err
    assert (protos / PROTO).read_text() == before
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["breaking"] == 1

    assert regen.main(["--check"]) == 1  # the documents and the outputs disagree
    captured = capsys.readouterr()
    assert "field TuningJob.experiment removed" in captured.out and PROTO in captured.err
    assert (protos / PROTO).read_text() == before  # --check changes nothing

    assert regen.main(["--accept-breaking"]) == 0
    assert '  reserved "experiment";' in (protos / PROTO).read_text()
    assert "experiment" not in {f["name"] for f in json.loads((tmp_path / "generated" / "ir.json").read_text())
                                ["messages"][JOB]["fields"]}


def test_cli_regen_passes_its_options_to_the_pipeline() -> None:
    import subprocess
    import sys

    command = str(Path(sys.executable).parent / "vertex-tuning")  # the console script, as a maintainer runs it
    result = subprocess.run([command, "regen", "--revive", "TuningJob.noSuchField"],
                            check=False, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    assert "--revive TuningJob.noSuchField: the documents have no field" in result.stderr
    assert "Traceback" not in result.stderr


def test_mutated_documents_end_in_a_file_line_error_or_a_plan_never_a_traceback(tmp_path: Path) -> None:
    import random

    rng = random.Random(20261126)  # fixed: the same 40 mutations every run
    pages = {p.name: p.read_text().splitlines() for p in SOURCES.glob("*.txt")}
    inserts = ["", "foo", "Foo", "fooBar baz", "FOO bar", "{", "}", '  "x": string,', "Fields", "Enums",
               "JSON representation", "Methods", "Union field x."]
    outcomes = {"error": 0, "plan": 0}
    for n in range(40):
        folder = tmp_path / str(n)
        folder.mkdir()
        victim = rng.choice(sorted(pages))
        lines = list(pages[victim])
        for _ in range(rng.randint(1, 3)):
            k = rng.randrange(len(lines))
            op = rng.random()
            if op < 0.35:
                del lines[k]
            elif op < 0.6:
                lines.insert(k, rng.choice(lines))
            elif op < 0.8:
                lines[k] = lines[k][: rng.randrange(len(lines[k]) + 1)]
            else:
                lines.insert(k, rng.choice(inserts))
        for name, original in pages.items():
            (folder / name).write_text("\n".join(lines if name == victim else original) + "\n")
        try:
            planned(folder, Options(accept_breaking=True))
            outcomes["plan"] += 1
        except DocError as exc:
            assert re.match(r"\d{3}_[\w.]+\.txt:\d+: ", str(exc)), str(exc)
            outcomes["error"] += 1
    assert outcomes["error"] > 10  # the mutations do hit the readers
