"""The reading rules of issue 20, each on a small edit of the seed documents.

Recursive schemas, Value fields, reworded descriptions and one field key carrying different messages
are read; identity comes from structure; guesses are recorded as inferred (and --strict refuses them);
small defects (unbalanced braces, non-UTF-8 bytes, long lines, methods only on the REST page) are
clear errors or reports.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.schema import discovery
from tests.schema.seed_documents import PYTHON, REST, SEED, copy_seed, seed_ir, seed_lock
from tools.docparse import DocError, build_ir
from tools.regen import Options, plan
from tools.report import BEHAVIOUR, compare

ROOT = Path(__file__).resolve().parents[2]
TYPE_NAMES = {k: v for k, v in json.loads((ROOT / "protos" / "type_names.json").read_text()).items() if k != "_why"}
V1 = "google.cloud.aiplatform.v1"


def sources(tmp_path: Path, edits: list[tuple[str, str, str]]) -> Path:
    """The seed documents with regex edits applied to every match (``\\1`` keeps a line's indent)."""
    copy_seed(tmp_path)
    for name, pattern, replacement in edits:
        text = (tmp_path / name).read_text()
        new, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
        assert count, pattern
        (tmp_path / name).write_text(new)
    return tmp_path


def after(key_line: str, *added: str) -> tuple[str, str, str]:
    """An edit of the Python page adding lines (relative indent in leading spaces) after each ``key_line``."""
    body = "".join("\n\\1" + line for line in added)
    return PYTHON, rf"^( *)({re.escape(key_line)}.*)$", r"\1\2" + body


def field(ir: dict, message: str, key: str) -> dict:
    return next(f for f in ir["messages"][f"{V1}.{message}"]["fields"] if f["json_name"] == key)


def inferred(ir: dict, message: str, key: str | None, fact: str) -> dict:
    return next(i for i in ir["inferred"] if i["message"] == f"{V1}.{message}" and i["field"] == key
                and i["fact"] == fact)


CHECKPOINTS = after('"model": "A String", # Output only. The resource name of the TunedModel.',
                    '"checkpoints": [ # Output only. The checkpoints.',
                    '  { # Checkpoint of a tuned model.',
                    '    "checkpointId": "A String", # The ID of the checkpoint.',
                    '    "epoch": "A String", # The epoch of the checkpoint.',
                    '  },',
                    '],')


def test_recursive_schema_reference_is_the_enclosing_message(tmp_path: Path) -> None:
    src = sources(tmp_path, [after('"fileUri": "A String", # Required. URI.',
                                   '"nested": # Object with schema name: GoogleCloudAiplatformV1FileData # Optional. '
                                   'More data.',
                                   '"alternatives": [ # Optional. Other data.',
                                   '  # Object with schema name: GoogleCloudAiplatformV1FileData',
                                   '],')])
    ir = build_ir(src, TYPE_NAMES)
    assert field(ir, "FileData", "nested")["type_name"] == f"{V1}.FileData"
    alternatives = field(ir, "FileData", "alternatives")
    assert (alternatives["type_name"], alternatives["repeated"]) == (f"{V1}.FileData", True)


def test_recursive_schema_unnamed_elsewhere_takes_the_name_the_reference_gives(tmp_path: Path) -> None:
    src = sources(tmp_path, [after('"text": "A String", # Optional. Text part (can be code).',
                                   '"responseSchema": { # Defines a schema. # Optional. The schema.',
                                   '  "anyOf": [ # Optional. Alternatives.',
                                   '    # Object with schema name: GoogleCloudAiplatformV1Schema',
                                   '  ],',
                                   '  "properties": { # Optional. Named schemas.',
                                   '    "a_key": # Object with schema name: GoogleCloudAiplatformV1Schema',
                                   '  },',
                                   '  "title": "A String", # Optional. Title.',
                                   '},')])
    ir = build_ir(src, TYPE_NAMES)
    assert field(ir, "Part", "responseSchema")["type_name"] == f"{V1}.Schema"
    assert field(ir, "Schema", "anyOf")["type_name"] == f"{V1}.Schema"
    props = field(ir, "Schema", "properties")
    assert (props["type"], props["value_type"]) == ("map", f"{V1}.Schema")
    assert "schema name: GoogleCloudAiplatformV1Schema" in inferred(ir, "Schema", None, "name")["why"]


def test_value_field_written_as_empty_string_is_a_protobuf_value(tmp_path: Path) -> None:
    src = sources(tmp_path, [after('"fileUri": "A String", # Required. URI.', '"example": "", # Optional. Any.')])
    ir = build_ir(src, TYPE_NAMES)
    example = field(ir, "FileData", "example")
    assert example["type_name"] == "google.protobuf.Value"
    assert "inferred" not in example  # the page writes exactly this for a Value: read, not guessed


def test_reworded_description_keeps_the_message_and_no_description_names_one(tmp_path: Path) -> None:
    src = sources(tmp_path, [(PYTHON, r"\{ # URI based data\. #", "{ # A reworded account of URI data. #"),
                             (PYTHON, r"\{ # Content blob\. It's preferred", "{ # URI based data. It's preferred")])
    ir = build_ir(src, TYPE_NAMES)
    assert field(ir, "Part", "fileData")["type_name"] == f"{V1}.FileData"
    # Blob now carries FileData's old description: its shape, not the text, says what it is.
    assert field(ir, "Part", "inlineData")["type_name"] == f"{V1}.Blob"
    assert not ir["inferred"] or all(i["fact"] != "name" or i["message"] != f"{V1}.FileData" for i in ir["inferred"])


def test_same_key_with_another_shape_is_another_message_with_a_reported_name(tmp_path: Path) -> None:
    src = sources(tmp_path, [after('"name": "A String", # Required. The name of the function to call. Matches '
                                   '[FunctionDeclaration.name] and [FunctionCall.name].',
                                   '"parts": [ # Optional. Parts of the response.',
                                   '  { # A part of a function response.',
                                   '    "inlineData": { # Content blob. # Inline bytes.',
                                   '      "data": "A String", # Required. Raw bytes.',
                                   '      "mimeType": "A String", # Required. The IANA standard MIME type.',
                                   '    },',
                                   '  },',
                                   '],')])
    ir = build_ir(src, TYPE_NAMES)
    assert field(ir, "Content", "parts")["type_name"] == f"{V1}.Part"
    assert field(ir, "FunctionResponse", "parts")["type_name"] == f"{V1}.FunctionResponsePart"
    assert field(ir, "FunctionResponsePart", "inlineData")["type_name"] == f"{V1}.Blob"
    name = inferred(ir, "FunctionResponsePart", None, "name")
    assert "FunctionResponse.parts" in name["why"] and "singular field key" in name["why"]


def test_same_description_different_shape_is_not_merged(tmp_path: Path) -> None:
    # One of the three distributions' buckets counts in integers (as v1beta1's DatasetDistribution does).
    src = sources(tmp_path, [(PYTHON, (r'("userOutputTokenDistribution": \{ # Dataset distribution for Supervised '
                                      r'Tuning\.)'), (r'"otherDistribution": { # Dataset distribution for Supervised '
                                                    r'Tuning. # Other.\n  "buckets": [\n    { # Dataset bucket used '
                                                    r'to create a histogram for the distribution given a population '
                                                    r'of values.\n      "count": "A String", # Number of values.\n'
                                                    r'    },\n  ],\n},\n\1'))])
    ir = build_ir(src, TYPE_NAMES)
    assert field(ir, "SupervisedTuningDatasetDistribution", "buckets")["type_name"] == f"{V1}.DatasetBucket"
    assert field(ir, "DatasetBucket", "count")["type"] == "double"
    other = field(ir, "SupervisedTuningDataStats", "otherDistribution")["type_name"]
    bucket = field(ir, other.rsplit(".", 1)[1], "buckets")["type_name"]
    assert bucket != f"{V1}.DatasetBucket"
    assert field(ir, bucket.rsplit(".", 1)[1], "count")["type"] == "int64"


def test_guessed_types_and_names_are_inferred_reported_and_refused_by_strict(tmp_path: Path) -> None:
    src = sources(tmp_path, [CHECKPOINTS])
    ir = build_ir(src, TYPE_NAMES)
    assert field(ir, "TunedModel", "checkpoints")["type_name"] == f"{V1}.TunedModelCheckpoint"
    epoch = field(ir, "TunedModelCheckpoint", "epoch")
    assert epoch["type"] == "int64" and "A String" in epoch["inferred"]["type"]
    assert field(ir, "TunedModelCheckpoint", "checkpointId")["type"] == "string"
    seed = seed_ir()
    report = compare(seed, ir)
    listed = {c.name for c in report.changes if c.inferred}
    assert {"TunedModelCheckpoint", "TunedModelCheckpoint.epoch", "TunedModelCheckpoint.checkpointId"} <= listed
    assert "TunedModelCheckpoint.epoch" in report.to_text().split("Inferred, not stated by the documents:")[1]
    assert report.to_json()["summary"]["inferred"] == len(listed)
    with pytest.raises(DocError, match="--strict: .* inferred"):
        plan(src, seed, seed_lock(),
             Options(accept_breaking=True, strict=True), TYPE_NAMES)


def test_new_fields_join_a_union_by_their_members_suffix_or_are_reported_unknown(tmp_path: Path) -> None:
    src = sources(tmp_path, [after('"tunedModelDisplayName": "A String",',
                                   '"preTunedModel": { # A pre-tuned model. # The pre-tuned model.',
                                   '  "tunedModelName": "A String", # The model.',
                                   '},',
                                   '"priority": "A String", # Optional. How urgent.')])
    ir = build_ir(src, TYPE_NAMES)
    assert field(ir, "TuningJob", "preTunedModel")["oneof"] == "source_model"
    assert inferred(ir, "TuningJob", "preTunedModel", "union")["guess"] == "source_model"
    assert field(ir, "TuningJob", "priority")["oneof"] is None
    assert "union unknown" in inferred(ir, "TuningJob", "priority", "union")["why"]


def test_output_only_and_required_changes_are_behaviour_changes_not_wire(tmp_path: Path) -> None:
    seed = seed_ir()
    src = sources(tmp_path, [(REST, r"^Optional\. The description of the TuningJob\.",
                              "Required. The description of the TuningJob.")])
    change = next(c for c in compare(seed, build_ir(src, TYPE_NAMES)).changes if c.name == "TuningJob.description"
                  and "REQUIRED" in c.detail)
    assert change.breaks == (BEHAVIOUR,)


def test_unbalanced_braces_in_a_path_template_are_an_error_at_their_line(tmp_path: Path) -> None:
    src = sources(tmp_path, [(PYTHON, (r"^(  name: string, Required\. The name of the TuningJob to cancel\. Format: "
                                      r"`projects/\{project\}/locations/\{location\}/tuningJobs/)\{tuning_job\}"),
                              r"\1{tuning_job")])
    with pytest.raises(DocError, match="unbalanced braces") as err:
        build_ir(src, TYPE_NAMES)
    line = next(i for i, t in enumerate((src / PYTHON).read_text().splitlines(), 1) if "{tuning_job`" in t)
    assert str(err.value).startswith(f"{PYTHON}:{line}:")


def test_non_utf8_byte_is_an_error_at_its_line(tmp_path: Path) -> None:
    src = sources(tmp_path, [])
    data = (src / REST).read_bytes().replace(b"Gets a TuningJob.", b"Gets a \xffTuningJob.")
    (src / REST).write_bytes(data)
    line = data[: data.index(b"\xff")].count(b"\n") + 1
    with pytest.raises(DocError, match="byte 0xff at column 8 is not UTF-8") as err:
        build_ir(src, TYPE_NAMES)
    assert str(err.value).startswith(f"{REST}:{line}:")


def test_error_on_a_huge_line_quotes_about_200_characters(tmp_path: Path) -> None:
    src = sources(tmp_path, [(REST, r"^Gets a TuningJob\.$", "Gets a TuningJob.\n\n" + "x " * 500_000)])
    with pytest.raises(DocError) as err:
        build_ir(src, TYPE_NAMES)
    assert len(str(err.value)) < 400 and "characters in all" in str(err.value)


def test_method_on_the_rest_page_only_is_reported(tmp_path: Path) -> None:
    src = sources(tmp_path, [(REST, r"^(rebaseTunedModel\n\nRebase a TunedModel\.)$",
                              r"\1\n\ndelete\n\nDeletes a TuningJob.")])
    ir = build_ir(src, TYPE_NAMES)
    seed = seed_ir()
    missing = [c for c in compare(seed, ir).changes if c.action == "missing"]
    assert [(c.element, c.name) for c in missing] == [("method", "delete")]
    assert "Python page does not" in missing[0].detail and missing[0].where.startswith(f"{REST}:")


def test_misread_checker_catches_a_guess_not_marked_inferred(tmp_path: Path) -> None:
    """Against the discovery document, TunedModelCheckpoint.step read as string unmarked is a misread."""
    real = Path(tempfile.mkdtemp(dir=tmp_path))
    for src in SEED.glob("001_*.txt"):
        shutil.copy(src, real / src.name)
    from tools.fetch_discovery import real_docs_dir

    doc = next(real_docs_dir().glob("000_aiplatform.v1.2.170.0_*.txt"))
    shutil.copy(doc, real / doc.name)
    ir = build_ir(real, TYPE_NAMES)
    truth = discovery.load(doc.name)
    assert discovery.misreads(ir, truth) == []
    step = field(ir, "TunedModelCheckpoint", "step")
    assert step["type"] == "int64"
    step["type"] = "string"
    del step["inferred"]
    assert discovery.misreads(ir, truth) == ["TunedModelCheckpoint.step: IR string, discovery int64"]


def test_a_chosen_name_stays_while_the_message_stays_at_its_place(tmp_path: Path) -> None:
    src = sources(tmp_path, [CHECKPOINTS])
    first = build_ir(src, TYPE_NAMES)
    assert field(first, "TunedModel", "checkpoints")["type_name"] == f"{V1}.TunedModelCheckpoint"
    # A checked-in IR that named it otherwise (say, an earlier rule) keeps its name: class names are API.
    earlier = json.loads(json.dumps(first).replace(f"{V1}.TunedModelCheckpoint", f"{V1}.Checkpoints"))
    again = build_ir(src, TYPE_NAMES, earlier)
    assert field(again, "TunedModel", "checkpoints")["type_name"] == f"{V1}.Checkpoints"
    assert "kept the name the checked-in IR gives it" in inferred(again, "Checkpoints", None, "name")["why"]
    assert build_ir(src, TYPE_NAMES, again) == again  # stable from then on


def test_reference_two_levels_down_binds_to_the_template_its_name_fits(tmp_path: Path) -> None:
    src = sources(tmp_path, [after('"text": "A String", # Optional. Text part (can be code).',
                                   '"responseSchema": { # Defines a schema. # Optional. The schema.',
                                   '  "example": { # An example. # Optional. Example.',
                                   '    "of": # Object with schema name: GoogleCloudAiplatformV1Schema # What.',
                                   '    "note": "A String", # A note.',
                                   '  },',
                                   '  "title": "A String", # Optional. Title.',
                                   '},')])
    ir = build_ir(src, TYPE_NAMES)
    example = field(ir, "Schema", "example")["type_name"]
    assert example != f"{V1}.Schema"
    assert field(ir, example.rsplit(".", 1)[1], "of")["type_name"] == f"{V1}.Schema"
