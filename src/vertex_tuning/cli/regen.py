"""``vertex-tuning regen``: re-derive protos/ and generated/ from the API documents."""

from __future__ import annotations

import importlib

import typer


def register(app: typer.Typer) -> None:
    """Add the ``regen`` command to ``app``."""

    @app.command()
    def regen() -> None:
        """Regenerate the schema from protos/sources/ (needs a source checkout and the dev extra)."""
        try:
            pipeline = importlib.import_module("tools.regen")
        except ModuleNotFoundError:
            raise typer.BadParameter("run from a source checkout: tools/ is not installed with the wheel") from None
        raise typer.Exit(pipeline.main([]))
