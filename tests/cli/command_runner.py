"""The ``vertex-tuning`` command in a separate process, as a user runs it: on pipes, or on a pseudo-terminal."""

from __future__ import annotations

import os
import subprocess
import sys

PROJECT = "cli-test"


def command_env(base_url: str | None, **extra: str) -> dict[str, str]:
    """The environment of a ``vertex-tuning`` subprocess: this test's server and project, no colour, nothing ambient."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("GOOGLE_CLOUD_PROJECT", "GOOGLE_CLOUD_LOCATION", "VERTEX_TUNING_BASE_URL",
                        "VERTEX_TUNING_API_KEY", "NO_COLOR", "COLUMNS", "LINES")}
    env |= {"GOOGLE_CLOUD_PROJECT": PROJECT, "NO_COLOR": "1"}
    if base_url is not None:
        env["VERTEX_TUNING_BASE_URL"] = base_url
    return env | extra


def run_command(*args: str, base_url: str | None, timeout: float = 60, **env: str) -> subprocess.CompletedProcess[str]:
    """``vertex-tuning ARGS`` as a user runs it: a separate process, stdout and stderr pipes (not a terminal)."""
    return subprocess.run([sys.executable, "-m", "vertex_tuning", *args], capture_output=True, text=True,
                          timeout=timeout, env=command_env(base_url, **env), check=False)


def run_in_terminal(*args: str, base_url: str | None, columns: int = 80, timeout: float = 60,
                    **env: str) -> tuple[int, str]:
    """``vertex-tuning ARGS`` on a pseudo-terminal ``columns`` wide (stdout and stderr both); exit status and screen."""
    import fcntl
    import os
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "vertex_tuning", *args], stdin=slave, stdout=slave, stderr=slave,
                            env=command_env(base_url, TERM="xterm", **env), close_fds=True)
    os.close(slave)
    screen = read_terminal(master)
    code = proc.wait(timeout=timeout)
    return code, screen.decode("utf-8", "replace").replace("\r\n", "\n")


def read_terminal(master: int) -> bytes:
    """Everything written to the pseudo-terminal whose master end is ``master``, until it closes (then closed)."""
    screen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        screen += chunk
    os.close(master)
    return screen
