"""What the global options of the running command line said (project, location, endpoint, verbosity)."""

from __future__ import annotations

import contextvars
import dataclasses
import os

from vertex_tuning._config import BASE_URL_ENV, DEFAULT_LOCATION, LOCATION_ENV


@dataclasses.dataclass
class Settings:
    """What the global options said; ``None`` means "not given" (environment and defaults apply later)."""

    project: str | None = None
    location: str | None = None
    base_url: str | None = None
    api_key: str | None = None
    quiet: bool = False
    verbose: bool = False

    def resolved_location(self) -> str:
        """--location, else GOOGLE_CLOUD_LOCATION, else us-central1."""
        return self.location or os.environ.get(LOCATION_ENV) or DEFAULT_LOCATION

    def resolved_base_url(self) -> str | None:
        """--base-url, else VERTEX_TUNING_BASE_URL, else None (the regional Google endpoint)."""
        return self.base_url or os.environ.get(BASE_URL_ENV) or None


_current: contextvars.ContextVar[Settings] = contextvars.ContextVar("vertex_tuning_cli_settings")


def settings() -> Settings:
    """The settings of the running command line."""
    found = _current.get(None)
    if found is None:
        found = Settings()
        _current.set(found)
    return found


def use(current: Settings) -> None:
    """Make ``current`` the settings of the running command line."""
    _current.set(current)
