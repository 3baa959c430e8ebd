"""Short ids on the command line: ``123`` means the tuning job 123 of the current project and location."""

from __future__ import annotations

import typer

from vertex_tuning.cli._session import Session
from vertex_tuning.resources import TEMPLATES


def _expand(text: str, session: Session, collection_prefix: str) -> str:
    if text.startswith("projects/"):
        return text
    if text.startswith("locations/"):
        return f"projects/{session.require_project()}/{text}"
    if not text.startswith("tuningJobs/"):
        text = collection_prefix + text
    return f"projects/{session.require_project()}/locations/{session.location}/{text}"


def job_name(text: str, session: Session, *, param: str = "JOB") -> str:
    """The full tuning job name for ``text``: a full name, ``tuningJobs/ID`` or a bare ``ID``."""
    name = _expand(text.strip(), session, "tuningJobs/")
    if not TEMPLATES["tuning_job"].matches(name):
        raise typer.BadParameter(
            f"{text!r} is not a tuning job: give projects/P/locations/L/tuningJobs/ID or just ID", param_hint=param
        )
    return name


def operation_name(text: str, session: Session, *, param: str = "OPERATION") -> str:
    """The full operation name for ``text``: a full name or ``JOB_ID/operations/OP_ID``."""
    name = _expand(text.strip(), session, "tuningJobs/")
    if not TEMPLATES["operation"].matches(name):
        raise typer.BadParameter(
            f"{text!r} is not an operation: give projects/P/locations/L/tuningJobs/ID/operations/OP "
            "or JOB_ID/operations/OP",
            param_hint=param,
        )
    return name
