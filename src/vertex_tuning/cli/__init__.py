"""The ``vertex-tuning`` command: jobs, serve, conform and regen subcommands (typer + rich)."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Vertex AI TuningJobs: client, server, contract.")

# Each subcommand module defines ``register(app)``; they import their heavy dependencies lazily.
_SUBCOMMANDS = ("jobs", "serve", "conform", "regen")


def _register_all() -> None:
    for name in _SUBCOMMANDS:
        try:
            module = importlib.import_module(f"vertex_tuning.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"vertex_tuning.cli.{name}":
                raise
            continue
        module.register(app)


def main() -> None:
    """Entry point of the ``vertex-tuning`` console script."""
    _register_all()
    app()
