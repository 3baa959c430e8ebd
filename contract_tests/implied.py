"""Rules the documents imply but do not state, each with the sentence it rests on.

A stated rule is a sentence of the documents (``endTime``: "time when the TuningJob entered any of
the following JobStates ..."). An implied one follows from such a sentence without being written
down: ``startTime`` is when the job *first entered* RUNNING, so a job still QUEUED or PENDING has
none. Findings from these rules say "(implied)" and the report lists them with their basis.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from . import _spec

SUCCEEDED = "JOB_STATE_SUCCEEDED"


@dataclass(frozen=True)
class Rule:
    """An implied rule: the element it constrains, the rule, and the documented sentence behind it."""

    element: str
    rule: str
    basis: str


@cache
def states_before_running() -> tuple[str, ...]:
    """The documented states a job is in before it first runs: those listed before the state startTime names."""
    values = _spec.enum_values(_spec.state_enum())
    named = [values.index(s) for s in _spec.running_states()[0] if s in values]
    return tuple(values[1 : min(named)]) if named else ()


@cache
def states_without_tuned_model() -> tuple[str, ...]:
    """States in which tuning has not produced anything yet: before running, and running."""
    values = _spec.enum_values(_spec.state_enum())
    named = [values.index(s) for s in _spec.running_states()[0] if s in values]
    return tuple(values[1 : min(named) + 1]) if named else ()


@cache
def rules() -> tuple[Rule, ...]:
    """Every implied rule the suite checks."""
    owner = _spec.short(_spec.job_message())
    before, idle = states_before_running(), states_without_tuned_model()
    running, read_from = _spec.running_states()
    started = f"startTime: the time the job first entered {' or '.join(sorted(running))} ({read_from})"
    return (
        Rule(f"{owner}.startTime", f"not set while {' or '.join(before)}", started),
        Rule(f"{owner}.tunedModel", f"not set while {' or '.join(idle)} (nothing is tuned yet)",
             f"tunedModel: output only, what tuning produces; {started}"),
        Rule(
            f"{owner}.tunedModel",
            f"set once the job is {SUCCEEDED} (the tuned model is what a successful job produces)",
            "tunedModel: output only, what tuning produces; a rebase needs a job's tuned model",
        ),
    )


def job_problems(job: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field, problem) for each implied rule a TuningJob breaks."""
    state = job.get("state")
    found = []
    if "startTime" in job and state in states_before_running():
        found.append(("startTime", f"(implied) set while {state}; startTime is when the job first entered RUNNING"))
    if "tunedModel" in job and state in states_without_tuned_model():
        found.append(("tunedModel", f"(implied) set while {state}, before tuning produced a model"))
    if state == SUCCEEDED and not job.get("tunedModel"):
        found.append(("tunedModel", f"(implied) missing in {SUCCEEDED}: a successful job has a tuned model"))
    return found
