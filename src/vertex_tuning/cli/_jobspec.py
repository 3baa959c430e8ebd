"""A ``TuningJob`` from the command line: a JSON or YAML file (``--from-file``) and flags that override it."""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from vertex_tuning.cli._failures import CommandFailed, ExitCode, UsageProblem

if TYPE_CHECKING:
    from vertex_tuning import AdapterSize, TuningJob

# The documents name adapter sizes in words (ADAPTER_SIZE_FOUR); people type numbers.
_SIZE_WORDS = {"ONE": 1, "TWO": 2, "FOUR": 4, "EIGHT": 8, "SIXTEEN": 16, "THIRTY_TWO": 32}


def adapter_sizes() -> dict[str, AdapterSize]:
    """Every accepted ``--adapter-size`` spelling (``4``, ``FOUR``, ``ADAPTER_SIZE_FOUR``) and its value."""
    from vertex_tuning import AdapterSize

    out: dict[str, AdapterSize] = {}
    for member in AdapterSize:
        if int(member) == 0:
            continue
        if member.name in _SIZE_WORDS:
            out[str(_SIZE_WORDS[member.name])] = member
        if member.proto_name:
            out[member.proto_name] = member
        out[str(member.name)] = member
    return out


def parse_adapter_size(text: str) -> AdapterSize:
    """The ``AdapterSize`` for ``text``, or a usage error listing the choices."""
    sizes = adapter_sizes()
    found = sizes.get(text.strip().upper())
    if found is None:
        numbers = sorted((k for k in sizes if k.isdigit()), key=int)
        raise typer.BadParameter(f"{text!r} is not an adapter size; choose one of {', '.join(numbers)}",
                                 param_hint="--adapter-size")
    return found


def parse_labels(items: list[str]) -> dict[str, str]:
    """``key=value`` items as a dict; a missing ``=``, an empty key or a repeated key is a usage error."""
    labels: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected KEY=VALUE, got {item!r}", param_hint="--label")
        if key in labels:
            raise typer.BadParameter(f"label {key!r} given twice", param_hint="--label")
        labels[key] = value
    return labels


def load_file(path: str) -> dict[str, Any]:
    """A JSON or YAML mapping from ``path`` (``-`` for stdin); YAML is tried when the text is not JSON."""
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise typer.BadParameter(f"cannot read {path}: {exc.strerror}", param_hint="--from-file") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as json_error:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            if path.endswith(".json"):
                where = f"{path}:{json_error.lineno}:{json_error.colno}: {json_error.msg} (JSON)"
            else:
                where = _yaml_error(path, exc)
            raise typer.BadParameter(where, param_hint="--from-file") from None
    if not isinstance(data, dict):
        raise typer.BadParameter(f"{path} must hold one TuningJob object, got {type(data).__name__}",
                                 param_hint="--from-file")
    return data


def _yaml_error(path: str, exc: Exception) -> str:
    """``PATH:LINE:COLUMN: problem (YAML)``, 1-based, as compilers and editors print positions."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark is not None else path
    return f"{where}: {problem}" + (f" ({context})" if context else "") + " (YAML; not JSON either)"


@dataclasses.dataclass
class JobFlags:
    """The ``jobs create`` flags; ``None`` (or empty) means "not given"."""

    base_model: str | None = None
    training_dataset_uri: str | None = None
    validation_dataset_uri: str | None = None
    display_name: str | None = None
    description: str | None = None
    epochs: int | None = None
    learning_rate_multiplier: float | None = None
    adapter_size: str | None = None
    labels: list[str] = dataclasses.field(default_factory=list)
    service_account: str | None = None
    kms_key: str | None = None


def build_job(flags: JobFlags, from_file: str | None) -> TuningJob:
    """The job to create: the file's proto3 JSON (any documented input), then each given flag on top."""
    from vertex_tuning import (
        EncryptionSpec,
        JsonFormatError,
        SupervisedHyperParameters,
        SupervisedTuningSpec,
        TuningJob,
        from_dict,
    )

    data = load_file(from_file) if from_file else {}
    try:
        job = from_dict(TuningJob, data)
    except JsonFormatError as exc:
        raise CommandFailed(ExitCode.INVALID_ARGUMENT, f"INVALID_ARGUMENT: {from_file}: {exc}") from None
    if flags.base_model is not None:
        job.base_model = flags.base_model
    spec = job.supervised_tuning_spec or SupervisedTuningSpec()
    if flags.training_dataset_uri is not None:
        spec.training_dataset_uri = flags.training_dataset_uri
    if flags.validation_dataset_uri is not None:
        spec.validation_dataset_uri = flags.validation_dataset_uri
    hyper = spec.hyper_parameters or SupervisedHyperParameters()
    if flags.epochs is not None:
        hyper.epoch_count = flags.epochs
    if flags.learning_rate_multiplier is not None:
        if not flags.learning_rate_multiplier > 0:
            raise typer.BadParameter(f"must be greater than 0, got {flags.learning_rate_multiplier:g}",
                                     param_hint="--learning-rate-multiplier")
        hyper.learning_rate_multiplier = flags.learning_rate_multiplier
    if flags.adapter_size is not None:
        hyper.adapter_size = parse_adapter_size(flags.adapter_size)
    if hyper != SupervisedHyperParameters():
        spec.hyper_parameters = hyper
    if spec != SupervisedTuningSpec():
        job.supervised_tuning_spec = spec
    if flags.display_name is not None:
        job.tuned_model_display_name = flags.display_name
    if flags.description is not None:
        job.description = flags.description
    if flags.labels:
        job.labels = {**job.labels, **parse_labels(flags.labels)}
    if flags.service_account is not None:
        job.service_account = flags.service_account
    if flags.kms_key is not None:
        job.encryption_spec = EncryptionSpec(kms_key_name=flags.kms_key)
    _require(job)
    return job


def _require(job: TuningJob) -> None:
    """The two inputs without which no supervised job can start, named by their flags."""
    missing = []
    if not job.base_model:
        missing.append("--base-model (or baseModel in --from-file)")
    spec = job.supervised_tuning_spec
    if spec is None or not spec.training_dataset_uri:
        missing.append("--training-data (or supervisedTuningSpec.trainingDatasetUri in --from-file)")
    if missing:
        raise UsageProblem("missing " + " and ".join(missing))
