"""The global options (project, location, endpoint, credentials, verbosity) and the client built from them.

The options are accepted both before the command (``vertex-tuning --project p jobs list``) and
after it (``vertex-tuning jobs list --project p``); the value closest to the command wins.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

import typer

from vertex_tuning._config import API_KEY_ENV, BASE_URL_ENV, DEFAULT_LOCATION, LOCATION_ENV, PROJECT_ENV
from vertex_tuning.cli._failures import CREDENTIALS_HINT, CredentialsMissing, UsageProblem, handled
from vertex_tuning.cli._settings import Settings, settings, use

if TYPE_CHECKING:
    import httpx

    from vertex_tuning import TuningJobsClient


def _global_parameters() -> list[inspect.Parameter]:
    from vertex_tuning.cli._requestlog import REFUSED_RETRY_SECONDS

    def option(name: str, default: Any, annotation: Any, *flags: str, **kwargs: Any) -> inspect.Parameter:
        return inspect.Parameter(
            f"_global_{name}", inspect.Parameter.KEYWORD_ONLY, default=typer.Option(default, *flags, **kwargs),
            annotation=annotation,
        )

    return [
        option("project", None, str | None, "--project", metavar="PROJECT", show_default=False,
               help=f"Project id. Default: ${PROJECT_ENV}, else the project of the ADC."),
        option("location", None, str | None, "--location", metavar="REGION", show_default=False,
               help=f"Region. Default: ${LOCATION_ENV}, else {DEFAULT_LOCATION}."),
        option("base_url", None, str | None, "--base-url", metavar="URL", show_default=False,
               help=f"Server, e.g. http://127.0.0.1:8080. Default: ${BASE_URL_ENV}, else the regional host. "
               f"A refused connection is retried for {REFUSED_RETRY_SECONDS:g} s; DNS and TLS failures end the "
               "command at once."),
        option("api_key", None, str | None, "--api-key", metavar="KEY", show_default=False,
               help=f"API key instead of Application Default Credentials (or ${API_KEY_ENV})."),
        option("quiet", False, bool, "--quiet", "-q", help="Print only results and errors: no progress, no notes."),
        option("verbose", False, bool, "--verbose", "-v", help="Log each HTTP request to stderr; tracebacks on errors."),
    ]


def with_global_options(*, reset: bool = False) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Give a command the global options (a value given here overrides one given before the command).

    ``reset`` starts fresh settings: for the root callback, which runs first on every command line.
    The command also gets the CLI's error handling (``_failures.handled``).
    """

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        signature = inspect.signature(fn)
        extra = _global_parameters()

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            current = Settings() if reset else settings()
            use(current)
            for param in extra:
                value = kwargs.pop(param.name)
                if value not in (None, False):
                    setattr(current, param.name.removeprefix("_global_"), value)
            return fn(*args, **kwargs)

        run.__signature__ = signature.replace(  # type: ignore[attr-defined]
            parameters=[*signature.parameters.values(), *extra]
        )
        return handled(run)

    return decorate


def check_base_url(url: str) -> None:
    """Refuse a base URL the client cannot use, with the rule it breaks (a usage error)."""
    from vertex_tuning._credentials import is_loopback

    parts = urllib.parse.urlsplit(url)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if parts.scheme not in ("http", "https") or not parts.hostname or not port_ok:
        raise typer.BadParameter(
            f"expected http(s)://HOST[:PORT], e.g. http://127.0.0.1:8080; got {url!r}", param_hint="--base-url"
        )
    if parts.scheme == "http" and not is_loopback(url):
        raise typer.BadParameter(
            f"plain http is allowed only for a server on this machine (localhost, 127.0.0.1, ::1); "
            f"use https:// for {parts.hostname}",
            param_hint="--base-url",
        )


# A project id (lowercase letters, digits, hyphens; optionally domain-scoped: example.com:my-project) or number.
_PROJECT = re.compile(r"(?:[a-z0-9][a-z0-9.-]*[a-z0-9]:)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_LOCATION = re.compile(r"[a-z](?:[a-z0-9-]{0,61}[a-z0-9])?")


def check_project(project: str, source: str) -> None:
    """Refuse a project id that is not one (``My Project!``, ``a/b``) before any request: a usage error."""
    if not _PROJECT.fullmatch(project):
        raise UsageProblem(
            f"{source}: {project!r} is not a project id: use lowercase letters, digits and hyphens "
            "(e.g. my-project-123), or the project number"
        )


def check_location(location: str, source: str) -> None:
    """Refuse a location that is not a region name (``US Central``, ``evil.com/x``): a usage error."""
    if not _LOCATION.fullmatch(location):
        raise UsageProblem(
            f"{source}: {location!r} is not a location: use a region name of lowercase letters, digits and "
            "hyphens, e.g. us-central1, europe-west4 or global"
        )


def _adc() -> tuple[Any, str | None]:
    """Application Default Credentials and their project, or ``CredentialsMissing`` saying how to fix it."""
    from google.auth import exceptions

    from vertex_tuning._credentials import application_default

    try:
        return application_default()
    except exceptions.DefaultCredentialsError:
        raise CredentialsMissing(f"no Application Default Credentials found: {CREDENTIALS_HINT}") from None


class Session:
    """A resolved command line: where to send requests, as whom, for which project and location."""

    def __init__(self, options: Settings) -> None:
        from vertex_tuning._credentials import is_loopback

        self.options = options
        self.location = options.resolved_location()
        check_location(self.location, "--location" if options.location else f"${LOCATION_ENV}")
        if options.project or os.environ.get(PROJECT_ENV):
            check_project(options.project or os.environ[PROJECT_ENV],
                          "--project" if options.project else f"${PROJECT_ENV}")
        self.base_url = options.resolved_base_url()
        if self.base_url is not None:
            check_base_url(self.base_url)
        self.api_key = options.api_key or os.environ.get(API_KEY_ENV) or None
        self.credentials: Any = None
        adc_project: str | None = None
        if self.api_key is None and not (self.base_url and is_loopback(self.base_url)):
            self.credentials, adc_project = _adc()
        self.project = options.project or os.environ.get(PROJECT_ENV) or adc_project
        if self.project:
            check_project(self.project, "the project of the Application Default Credentials")

    def require_project(self) -> str:
        """The project, or a usage error saying how to give one."""
        if not self.project:
            raise UsageProblem(f"no project: pass --project PROJECT or set {PROJECT_ENV}")
        return self.project

    def _http_client(self) -> httpx.Client:
        import httpx

        from vertex_tuning.cli._requestlog import RequestLog

        return httpx.Client(transport=RequestLog(httpx.HTTPTransport(), verbose=self.options.verbose,
                                                 quiet=self.options.quiet))

    @contextmanager
    def client(self) -> Iterator[TuningJobsClient]:
        """A ``TuningJobsClient`` for this command line, closed on exit."""
        from vertex_tuning import TuningJobsClient

        with ExitStack() as stack:
            http_client = stack.enter_context(self._http_client())
            try:
                client = TuningJobsClient(
                    self.project,
                    self.location,
                    credentials=self.credentials,
                    api_key=self.api_key,
                    base_url=self.base_url,
                    http_client=http_client,
                )
            except ValueError as exc:
                raise UsageProblem(str(exc)) from None
            yield stack.enter_context(client)


def session() -> Session:
    """The ``Session`` of the running command line."""
    return Session(settings())

