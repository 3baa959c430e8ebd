"""Output formats of the CLI: a table or ``key: value`` lines for people, proto3 JSON or YAML for programs.

JSON is exactly the API's proto3 JSON (``vertex_tuning.to_dict``) and has one shape per command: a
list command always prints an array, any other command an object. Text that comes from users or
the server is always printed as plain text, never read as rich markup, and its control characters
(escape sequences, carriage returns, bidi overrides) are shown escaped (``\x1b``), as gcloud does,
so no server can restyle or rewrite the terminal. Notes, errors and progress go to stderr; data to
stdout. ``NO_COLOR`` turns every style (colour and bold) off.
"""

from __future__ import annotations

import enum
import json
import os
import re
import sys
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    import betterproto2
    from rich.console import Console


class Format(str, enum.Enum):
    """What ``--output`` accepts."""

    TABLE = "table"
    WIDE = "wide"
    JSON = "json"
    YAML = "yaml"

    @property
    def for_people(self) -> bool:
        """A table or ``key: value`` view (``table`` or ``wide``), not data for programs."""
        return self in (Format.TABLE, Format.WIDE)


OUTPUT = typer.Option(
    Format.TABLE,
    "--output",
    "-o",
    case_sensitive=False,
    metavar="table|wide|json|yaml",
    help="table (for people; short ids), wide (a table with full resource names), "
    "json (the API's proto3 JSON) or yaml (the same data as YAML).",
)

# C0 and C1 controls and DEL, and the bidirectional overrides and isolates that reorder what is shown.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(text: str) -> str:
    """``text`` with every control character shown escaped (``\\x1b``, ``\\n``, ``\\u202e``): safe on a terminal."""
    return _CONTROL.sub(lambda m: _NAMED.get(m[0]) or _escape(m[0]), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def no_color() -> bool:
    """Whether ``NO_COLOR`` is set (https://no-color.org): no colour and no other styling either."""
    return bool(os.environ.get("NO_COLOR"))


def console(*, stderr: bool = False) -> Console:
    """A rich console that honours NO_COLOR and never highlights or reads emoji codes in our text."""
    from rich.console import Console

    if no_color():
        return Console(stderr=stderr, highlight=False, emoji=False, color_system=None)
    return Console(stderr=stderr, highlight=False, emoji=False)


def to_data(message: betterproto2.Message) -> Any:
    """The proto3 JSON value of ``message``."""
    from vertex_tuning import to_dict

    return to_dict(message)


def print_data(payload: Any, fmt: Format) -> None:
    """Write ``payload`` (JSON-compatible) to stdout as JSON or YAML."""
    if fmt is Format.YAML:
        # PyYAML, not a hand-written emitter: YAML's quoting rules (yes/no, numbers, ':', '#', leading
        # '*' or '&', multi-line text) are easy to get subtly wrong, and a wrong quote changes the data.
        import yaml

        sys.stdout.write(yaml.safe_dump(payload, sort_keys=False, allow_unicode=True, default_flow_style=False))
    else:  # json escapes C0 controls itself; C1 ones (\x9b is CSI on some terminals) are escaped here
        text = json.dumps(payload, indent=2, ensure_ascii=False)
        sys.stdout.write(re.sub("[\x7f-\x9f]", lambda m: f"\\u{ord(m[0]):04x}", text) + "\n")
    sys.stdout.flush()


def print_messages(messages: Sequence[betterproto2.Message], fmt: Format) -> None:
    """A list result as a JSON/YAML array (``[]`` when empty)."""
    print_data([to_data(m) for m in messages], fmt)


def print_message(message: betterproto2.Message, fmt: Format) -> None:
    """A single result as a JSON/YAML object."""
    print_data(to_data(message), fmt)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, keep_whole: Sequence[int] = (0,),
                foldable: Sequence[int] = ()) -> None:
    """A borderless table whose ``keep_whole`` columns (resource names) are never wrapped or cut.

    Columns that are empty in every row are left out. On a terminal, columns are kept from the
    left while they fit (the last one may fold if it is free text, in ``foldable``; a timestamp or
    a name never folds); the rest are dropped with a note, never a name.
    When stdout is not a terminal every column is printed whole: one line per row, for grep and awk.
    Cells are shown with their control characters escaped; widths are those of the escaped text.
    """
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    out = console()
    rows = [[printable(cell) for cell in row] for row in rows]
    natural = [max([len(header), *(cell_len(row[i]) for row in rows)]) for i, header in enumerate(headers)]
    shown = [i for i in range(len(headers)) if i in keep_whole or any(row[i] for row in rows)]
    if out.is_terminal:
        chosen: list[int] = []
        used = 0
        for i in shown:
            need = natural[i] + (2 if chosen else 0)
            if i in keep_whole or used + need <= out.width:
                chosen.append(i)
                used += need
            elif i in foldable and out.width - used - 2 >= 12:
                chosen.append(i)
                break
            else:
                break
        dropped = ", ".join(headers[i] for i in shown if i not in chosen)
        shown = chosen
        out.width = max(out.width, sum(natural[i] for i in shown if i in keep_whole) + 2 * len(shown))
    else:
        dropped = ""
        out.width = sum(natural[i] for i in shown) + 2 * len(shown)
    fits = sum(natural[i] for i in shown) + 2 * len(shown) <= out.width
    table = Table(box=None, pad_edge=False, padding=(0, 2, 0, 0), show_edge=False, header_style="bold")
    for i in shown:
        whole = fits or i in keep_whole or i != shown[-1]  # only the last column may fold
        table.add_column(headers[i], no_wrap=whole, min_width=natural[i] if whole else None, overflow="fold")
    for row in rows:
        table.add_row(*(Text(row[i]) for i in shown))
    out.print(table)
    if dropped:
        note(f"({dropped}: not shown for lack of width; see --output json)")


def print_fields(pairs: Sequence[tuple[str, str | Sequence[str]]]) -> None:
    """``key: value`` lines, values aligned and never wrapped; a value given as lines continues indented.

    Control characters in values are shown escaped (a newline inside a one-line value too).
    """
    from rich.text import Text

    out = console()
    width = max((len(key) for key, _ in pairs), default=0) + 2
    for key, value in pairs:
        lines = [printable(value)] if isinstance(value, str) else [printable(line) for line in value] or [""]
        text = Text()
        text.append(f"{key}:".ljust(width), style="bold")
        text.append(lines[0])
        for more in lines[1:]:
            text.append("\n" + " " * width + more)
        out.print(text, soft_wrap=True)


def print_line(text: str, *, style: str = "") -> None:
    """One plain line on stdout (control characters escaped)."""
    from rich.text import Text

    console().print(Text(printable(text), style=style), soft_wrap=True)


def note(text: str) -> None:
    """A note on stderr, unless --quiet; on a terminal wrapped between words to its width."""
    from vertex_tuning.cli._settings import settings

    if not settings().quiet:
        print_stderr(text, wrap=True)


def print_stderr(text: str, *, wrap: bool = False) -> None:
    """A line on stderr with control characters escaped; with ``wrap``, on a terminal, wrapped between words."""
    text = printable(text)
    if wrap and sys.stderr.isatty():
        import shutil

        width = shutil.get_terminal_size().columns
        text = "\n".join(textwrap.wrap(text, width, subsequent_indent="  ", break_long_words=False,
                                        break_on_hyphens=False)) or text
    print(text, file=sys.stderr, flush=True)
