"""``vertex-tuning regen``: re-derive protos/ and generated/ from the API documents, with a change report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``regen`` command to ``app``."""

    @app.command()
    def regen(
        tree: Annotated[Path, typer.Argument(
            exists=True, file_okay=False, show_default=False,
            help="A checkout (documents in protos/sources/) or a folder holding the two documents; "
                 "protos/ and generated/ are written in it. Default: the current directory.")
        ] = Path("."),
        check: Annotated[bool, typer.Option(
            "--check", help="Exit 1 when protos/ and generated/ differ from what the documents give; change nothing.")
        ] = False,
        accept_breaking: Annotated[bool, typer.Option(
            "--accept-breaking", help="Regenerate despite breaking changes (a retyped field gets a new number).")
        ] = False,
        report: Annotated[Path | None, typer.Option(
            "--report", metavar="FILE", help="Also write the change report as JSON.")] = None,
        revive: Annotated[list[str] | None, typer.Option(
            "--revive", metavar="MESSAGE.FIELD",
            help="Bring back a removed (reserved) name under a new number; recorded in the lock file.")] = None,
        numbers_from: Annotated[Path | None, typer.Option(
            "--numbers-from", metavar="FILE",
            help="Adopt the field numbers of a FileDescriptorSet (e.g. Google's), matched by full name.")] = None,
        strict: Annotated[bool, typer.Option(
            "--strict", help="Fail when any fact is inferred rather than read from the documents.")] = False,
    ) -> None:
        """Regenerate the schema from the API documents and print what changed.

        All or nothing: protos/ and generated/ change only when every step succeeded; Ctrl-C leaves them as they were.
        """
        from vertex_tuning.cli._bundled import bundled

        try:
            pipeline = bundled("tools", "vertex_tuning_schema", extra="schema", modules=("regen",)).regen
        except ModuleNotFoundError as exc:
            raise typer.BadParameter(str(exc)) from None
        argv = ["--tree", str(tree)]
        argv += ["--check"] if check else []
        argv += ["--accept-breaking"] if accept_breaking else []
        argv += ["--report", str(report)] if report else []
        argv += [a for name in revive or [] for a in ("--revive", name)]
        argv += ["--numbers-from", str(numbers_from)] if numbers_from else []
        argv += ["--strict"] if strict else []
        raise typer.Exit(pipeline.main(argv))
