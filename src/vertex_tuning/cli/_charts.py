"""The tuning data statistics of a job as pictures: terminal histograms, and a PNG via matplotlib.

Both draw the histogram buckets the service reports (``SupervisedTuningDatasetDistribution.buckets``:
``count`` examples with a value in ``[left, right)``); nothing is re-binned or estimated.
matplotlib is imported only for ``--png`` and draws with its Agg backend (no display needed).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from vertex_tuning import SupervisedTuningDatasetDistribution, SupervisedTuningDataStats

_BLOCKS = " ▏▎▍▌▋▊▉█"


class Distribution(NamedTuple):
    """One documented distribution of the data stats, with the words a person reads it by."""

    title: str
    unit: str
    values: SupervisedTuningDatasetDistribution


def distributions(stats: SupervisedTuningDataStats) -> list[Distribution]:
    """The distributions present in ``stats``, in the order the documents list them."""
    found = [
        ("User input tokens per example", "tokens", stats.user_input_token_distribution),
        ("User output tokens per example", "tokens", stats.user_output_token_distribution),
        ("Messages per example", "messages", stats.user_message_per_example_distribution),
    ]
    return [Distribution(title, unit, values) for title, unit, values in found if values is not None]


def counts(stats: SupervisedTuningDataStats) -> list[tuple[str, str]]:
    """The dataset's totals as ``(label, value)``."""
    return [
        ("examples", f"{stats.tuning_dataset_example_count:,}"),
        ("tuning steps", f"{stats.tuning_step_count:,}"),
        ("characters", f"{stats.total_tuning_character_count:,}"),
        ("billable tokens", f"{stats.total_billable_token_count:,}"),
        ("truncated examples", f"{stats.total_truncated_example_count:,}"),
    ]


def _bar(fraction: float, width: int) -> str:
    eighths = round(max(0.0, min(1.0, fraction)) * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[part] if part else "")


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def summary(values: SupervisedTuningDatasetDistribution) -> str:
    """``mean … median … p5–p95 … min–max; sum … (billable …)`` of one distribution."""
    return (
        f"mean {_number(values.mean)}  median {_number(values.median)}  p5-p95 {_number(values.p5)}-"
        f"{_number(values.p95)}  min-max {_number(values.min)}-{_number(values.max)}  "
        f"sum {values.sum:,}  billable sum {values.billable_sum:,}"
    )


def histogram_lines(values: SupervisedTuningDatasetDistribution, width: int) -> list[str]:
    """One line per bucket: ``[left, right)  count  bar``; bars scaled to the largest bucket."""
    buckets = list(values.buckets)
    if not buckets:
        return ["(no buckets reported)"]
    ranges = [f"{_number(b.left)}-{_number(b.right)}" for b in buckets]
    numbers = [_number(b.count) for b in buckets]
    left = max(map(len, ranges))
    mid = max(map(len, numbers))
    bar_width = max(10, width - left - mid - 4)
    top = max(b.count for b in buckets) or 1.0
    return [
        f"{r.rjust(left)}  {n.rjust(mid)}  {_bar(b.count / top, bar_width)}"
        for r, n, b in zip(ranges, numbers, buckets, strict=True)
    ]


def terminal_report(stats: SupervisedTuningDataStats, width: int) -> list[tuple[str, str]]:
    """The whole report as ``(text, style)`` lines: totals, then per distribution a summary and its histogram."""
    lines: list[tuple[str, str]] = []
    label_width = max(len(label) for label, _ in counts(stats))
    lines += [(f"{label.ljust(label_width)}  {value}", "") for label, value in counts(stats)]
    for dist in distributions(stats):
        lines.append(("", ""))
        lines.append((f"{dist.title} ({dist.unit})", "bold"))
        lines.append((summary(dist.values), "dim"))
        lines += [(line, "") for line in histogram_lines(dist.values, min(width, 100))]
    return lines


def write_png(stats: SupervisedTuningDataStats, path: Path, title: str) -> tuple[int, int]:
    """Draw each distribution's buckets as a bar chart side by side into ``path``; the image size in pixels."""
    from matplotlib.figure import Figure

    dists = distributions(stats)
    columns = max(1, len(dists))
    dpi = 100
    figure = Figure(figsize=(4.0 * columns, 3.4), dpi=dpi, layout="constrained")
    figure.suptitle(
        f"{title}: {stats.tuning_dataset_example_count:,} examples, "
        f"{stats.total_billable_token_count:,} billable tokens",
        fontsize=11,
    )
    axes: Sequence[Any] = figure.subplots(1, columns, squeeze=False)[0]
    for ax, dist in zip(axes, dists, strict=False):
        buckets = list(dist.values.buckets)
        ax.bar(
            [b.left for b in buckets],
            [b.count for b in buckets],
            width=[b.right - b.left for b in buckets],
            align="edge",
            color="#4285f4",
            edgecolor="white",
        )
        ax.axvline(dist.values.mean, color="#ea4335", linewidth=1.2, label=f"mean {_number(dist.values.mean)}")
        ax.axvline(dist.values.median, color="#34a853", linewidth=1.2, linestyle="--",
                   label=f"median {_number(dist.values.median)}")
        ax.set_title(dist.title, fontsize=10)
        ax.set_xlabel(dist.unit)
        ax.set_ylabel("examples")
        ax.legend(fontsize=8, frameon=False)
    with warnings.catch_warnings():  # a glyph the font lacks (an emoji in the title) is drawn as a box, silently
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        figure.savefig(path, format="png", dpi=dpi)
    width, height = figure.get_size_inches() * dpi
    return round(width), round(height)
