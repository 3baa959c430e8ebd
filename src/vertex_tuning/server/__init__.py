"""The reference server: the TuningJobs REST API over SQLite, with a fast-forwardable clock and fault injection."""

# The server finds message classes by type URL in default_message_pool: load them all (and their
# codec-backed methods) first, since `import vertex_tuning` no longer does.
import vertex_tuning.types  # noqa: F401
from vertex_tuning.server.app import create_app

__all__ = ["create_app"]
