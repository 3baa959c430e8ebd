"""Facts stated in prose are read at generation time: a rewording the reader follows still works, one it
cannot follow stops regeneration at the document line, before anything is written.

Each test edits scratch copies of the seed documents (tests/schema/seed_documents.py) and plans a
regeneration; the wordings are Google's own, from the published versions of the pages.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.schema.seed_documents import PYTHON, REST, copy_seed, seed_ir, seed_lock
from tools import facts, regen
from tools.docparse import DocError
from tools.regen import Options, plan

ROOT = Path(__file__).resolve().parents[2]
# CancelTuningJob's last sentence as worded up to release 2.170 of the Python page, and from 2.190 on.
CANCEL_SENTENCE = re.compile(r"On successful cancellation, .*?CANCELLED`\.")
CANCEL_2190 = ("On successful cancellation, the tuning job is not deleted. Instead, its state is set to `CANCELLED`, "
               "and `error` is set to a status with a `google.rpc.Status.code` of 1, corresponding to "
               "`Code.CANCELLED`.")
CANCEL_2170 = ("On successful cancellation, the TuningJob is not deleted; instead it becomes a job with a "
               "TuningJob.error value with a google.rpc.Status.code of 1, corresponding to `Code.CANCELLED`, "
               "and TuningJob.state is set to `CANCELLED`.")
CANCEL_UNREADABLE = "On successful cancellation, the tuning job is kept and reports that it was cancelled."
ERROR_STATES = "Only populated when job's state is JOB_STATE_FAILED or JOB_STATE_CANCELLED."


def scratch(tmp_path: Path, name: str, pattern: re.Pattern[str] | str, new: str) -> Path:
    """Copies of both documents with every match of ``pattern`` in document ``name`` replaced by ``new``."""
    folder = copy_seed(tmp_path / "sources")
    text = (folder / name).read_text(encoding="utf-8")
    compiled = pattern if isinstance(pattern, re.Pattern) else re.compile(re.escape(pattern))
    text, count = compiled.subn(lambda _: new, text)
    assert count, f"{pattern} not in {name}"
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def planned_facts(sources: Path) -> dict[str, Any]:
    planned = plan(sources, seed_ir(), seed_lock(), Options(accept_breaking=True))
    return facts.from_documents(planned.ir)


def line_of_method(path: Path, prefix: str) -> int:
    """The line of the Python page's method details that starts ``prefix`` (e.g. ``cancel(``)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    details = lines.index("Method Details")
    return next(i for i, line in enumerate(lines[details:], details + 1) if line.startswith(prefix))


@pytest.mark.parametrize("wording", [CANCEL_2170, CANCEL_2190], ids=["up to 2.170", "2.190 on"])
def test_every_published_wording_of_the_cancelled_code_is_read(tmp_path: Path, wording: str) -> None:
    src = scratch(tmp_path, PYTHON, CANCEL_SENTENCE, wording)
    cancelled = planned_facts(src)["cancelled_job"]
    assert (cancelled["state"], cancelled["error_code"], cancelled["code_name"]) == ("JOB_STATE_CANCELLED", 1,
                                                                                   "CANCELLED")
    assert cancelled["read_from"] == f"{PYTHON}:{line_of_method(src / PYTHON, 'cancel(')}"


def test_an_unreadable_rewording_of_the_cancelled_code_stops_at_the_method_line(tmp_path: Path) -> None:
    src = scratch(tmp_path, PYTHON, CANCEL_SENTENCE, CANCEL_UNREADABLE)
    with pytest.raises(DocError) as err:
        planned_facts(src)
    message = str(err.value)
    assert message.startswith(f"{PYTHON}:{line_of_method(src / PYTHON, 'cancel(')}: expected CancelTuningJob's "
                              "description naming the error code"), message
    assert len(message) < 400  # quotes the description, cut to a line's worth


def test_a_code_the_rpc_codes_do_not_define_so_is_refused(tmp_path: Path) -> None:
    src = scratch(tmp_path, PYTHON, CANCEL_SENTENCE, CANCEL_2190.replace("of 1,", "of 7,"))
    with pytest.raises(DocError, match=r"gives code 7 for Code.CANCELLED, which google/rpc/code.proto does not"):
        planned_facts(src)


def test_error_states_are_read_and_their_loss_stops_at_the_field_line(tmp_path: Path) -> None:
    assert planned_facts(scratch(tmp_path / "a", REST, ERROR_STATES, ERROR_STATES))["job_error_states"]["values"] \
        == ["JOB_STATE_CANCELLED", "JOB_STATE_FAILED"]
    src = scratch(tmp_path / "b", REST, ERROR_STATES, "Only populated when the job failed or was cancelled.")
    with pytest.raises(DocError) as err:
        planned_facts(src)
    error_line = src.joinpath(REST).read_text(encoding="utf-8").splitlines().index("error object (Status)") + 1
    assert str(err.value).startswith(f"{REST}:{error_line}: expected error's description naming the states"), \
        str(err.value)


def test_the_command_fails_at_the_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    src = scratch(tmp_path, PYTHON, CANCEL_SENTENCE, CANCEL_UNREADABLE)
    protos = tmp_path / "protos"
    shutil.copytree(ROOT / "protos", protos, ignore=shutil.ignore_patterns("sources"))
    shutil.copytree(src, protos / "sources")
    shutil.copytree(ROOT / "generated", tmp_path / "generated")
    before = {p: p.read_bytes() for p in sorted([*protos.rglob("*"), *(tmp_path / "generated").rglob("*")])
              if p.is_file()}
    monkeypatch.setattr(regen, "PROTOS", protos)
    monkeypatch.setattr(regen, "GENERATED", tmp_path / "generated")
    monkeypatch.setattr(regen, "PACKAGE_DIR", tmp_path / "generated" / "vertex_tuning_protos")
    monkeypatch.setattr(regen, "LOCK", protos / "field_numbers.lock.json")
    assert regen.main(["--accept-breaking"]) == 1
    assert f"error: {PYTHON}:{line_of_method(src / PYTHON, 'cancel(')}: " in capsys.readouterr().err
    after = {p: p.read_bytes() for p in sorted([*protos.rglob("*"), *(tmp_path / "generated").rglob("*")])
             if p.is_file()}
    assert after == before
