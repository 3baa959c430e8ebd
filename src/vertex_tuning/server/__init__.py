"""The reference server: the TuningJobs REST API over SQLite, with a fast-forwardable clock and fault injection."""

from vertex_tuning.server.app import create_app

__all__ = ["create_app"]
