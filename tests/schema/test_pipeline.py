"""The schema pipeline: clear stops on documents it does not understand, stable numbers, stable output."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from tools.docparse import DocError, build_ir
from tools.protogen import NumberLock, render

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "protos" / "sources"
REST = next(SOURCES.glob("001_*.txt")).name  # the REST page
PYTHON = next(SOURCES.glob("000_*.txt")).name  # the Python-client page, whichever version
TYPE_NAMES = {k: v for k, v in json.loads((ROOT / "protos" / "type_names.json").read_text()).items() if k != "_why"}


def edited_sources(tmp_path: Path, name: str, old: str, new: str) -> Path:
    for src in SOURCES.glob("*.txt"):
        shutil.copy(src, tmp_path / src.name)
    text = (tmp_path / name).read_text()
    assert old in text
    (tmp_path / name).write_text(text.replace(old, new, 1))
    return tmp_path


def line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


def test_unknown_type_phrase_stops_the_run_with_file_and_line(tmp_path: Path) -> None:
    src = edited_sources(tmp_path, REST, "learningRateMultiplier number", "learningRateMultiplier number (float format)")
    with pytest.raises(DocError) as err:
        build_ir(src, TYPE_NAMES)
    assert f"{REST}:{line_of(src / REST, 'learningRateMultiplier number')}:" in str(err.value)
    assert "known type phrase" in str(err.value)


def test_field_the_json_representation_does_not_list_stops_the_run(tmp_path: Path) -> None:
    src = edited_sources(tmp_path, REST, '  "experiment": string,\n', "")
    with pytest.raises(DocError, match="missing from its JSON representation") as err:
        build_ir(src, TYPE_NAMES)
    assert str(err.value).startswith(f"{REST}:{line_of(src / REST, 'experiment string')}: field experiment")


def test_field_outside_any_message_stops_the_run(tmp_path: Path) -> None:
    src = edited_sources(tmp_path, REST, "REST Resource: projects.locations.tuningJobs\n",
                         "REST Resource: projects.locations.tuningJobs\n\nstrayField string\n")
    with pytest.raises(DocError) as err:
        build_ir(src, TYPE_NAMES)
    assert f"{REST}:3:" in str(err.value) and "heading" in str(err.value)


def test_broken_json_template_stops_the_run_with_the_line(tmp_path: Path) -> None:
    src = edited_sources(tmp_path, PYTHON, '"experiment": "A String",', '"experiment": A String,')
    with pytest.raises(DocError) as err:
        build_ir(src, TYPE_NAMES)
    line = line_of(src / PYTHON, '"experiment": A String')
    assert f"{PYTHON}:{line}:" in str(err.value)
    assert "sample value" in str(err.value)


def test_removed_field_becomes_reserved_and_its_number_is_never_reused() -> None:
    lock = NumberLock({})
    assert lock.assign("M", ["a", "b", "c"], 1) == {"a": 1, "b": 2, "c": 3}
    assert lock.assign("M", ["a", "c", "d"], 1) == {"a": 1, "c": 3, "d": 4}
    assert lock.reserved("M") == {"b": 2}
    with pytest.raises(ValueError, match="reserved name came back"):
        lock.assign("M", ["a", "b"], 1)


def test_numbers_do_not_move_when_the_documents_reorder_fields() -> None:
    lock = NumberLock({})
    first = lock.assign("M", ["a", "b"], 1)
    assert lock.assign("M", ["b", "a"], 1) == first


def test_field_dropped_from_the_documents_is_rendered_as_reserved() -> None:
    ir = json.loads((ROOT / "generated" / "ir.json").read_text())
    lock_data = json.loads((ROOT / "protos" / "field_numbers.lock.json").read_text())
    job = ir["messages"]["google.cloud.aiplatform.v1.TuningJob"]
    number = lock_data["google.cloud.aiplatform.v1.TuningJob"]["numbers"]["experiment"]
    edited = copy.deepcopy(ir)
    edited["messages"]["google.cloud.aiplatform.v1.TuningJob"]["fields"] = [
        f for f in job["fields"] if f["name"] != "experiment"
    ]
    text = render(edited, NumberLock(lock_data))["google/cloud/aiplatform/v1/tuning_job.proto"]
    assert f"  reserved {number};" in text and '  reserved "experiment";' in text
    assert " experiment = " not in text


def test_rendering_the_same_documents_twice_is_byte_identical() -> None:
    ir_a, ir_b = build_ir(SOURCES, TYPE_NAMES), build_ir(SOURCES, TYPE_NAMES)
    lock = json.loads((ROOT / "protos" / "field_numbers.lock.json").read_text())
    assert render(ir_a, NumberLock(lock)) == render(ir_b, NumberLock(lock))
    checked_in = {
        rel: (ROOT / "protos" / rel).read_text() for rel in render(ir_a, NumberLock(lock))
    }
    assert render(ir_a, NumberLock(lock)) == checked_in


def test_protoc_output_is_the_checked_in_one_from_any_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tools.regen import COMMON_INPUTS, GENERATED, run_protoc

    monkeypatch.chdir(tmp_path)  # a directory without the project's ruff settings
    files = ["google/cloud/aiplatform/v1/genai_tuning_service.proto", "google/cloud/aiplatform/v1/tuning_job.proto"]
    out = tmp_path / "out"
    descriptor = run_protoc([*files, *COMMON_INPUTS], out)
    assert descriptor.read_bytes() == (GENERATED / "descriptor_set.binpb").read_bytes()
    for produced in sorted((out / "vertex_tuning_protos").rglob("*.py")):
        rel = produced.relative_to(out)
        assert produced.read_text() == (GENERATED / rel).read_text(), rel
