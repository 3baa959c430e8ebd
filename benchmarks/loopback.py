"""A tiny purpose-built HTTP/1.1 server on 127.0.0.1 that answers the TuningJobs URLs with fixed bodies.

Run in its own process (``served()``), so a client's CPU time is only the client's. Answers:

* ``GET /v1/projects/P/locations/L/tuningJobs/N`` (N a number of example Contents): a fully
  populated TuningJob with N example Contents (``fixtures.full_tuning_job``), named as asked;
* ``GET /v1/projects/list-T/locations/L/tuningJobs?pageSize=S&pageToken=K``: page K of a listing of
  T jobs (each ``full_tuning_job(LISTED_EXAMPLES)`` with its own name), S jobs a page (at most 1000).

asyncio streams with TCP_NODELAY and one write per answer: no Nagle or delayed-ACK stalls, and a
thousand concurrent connections cost it little. Every other path is a 404.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fixtures import full_tuning_job

LISTED_EXAMPLES = 1
MAX_PAGE = 1000
_MARK = "@@ID@@"


class Bodies:
    """The answers, built once per shape."""

    def __init__(self) -> None:
        self._jobs: dict[int, dict[str, object]] = {}
        template = full_tuning_job(LISTED_EXAMPLES)
        parent_mark = "@@PARENT@@"
        template["name"] = f"{parent_mark}/tuningJobs/{_MARK}"
        self._listed = orjson.dumps(template).decode().split(_MARK)
        self._parent_mark = parent_mark

    def job(self, name: str, examples: int) -> bytes:
        doc = self._jobs.get(examples)
        if doc is None:
            doc = self._jobs[examples] = full_tuning_job(examples)
        return orjson.dumps({**doc, "name": name})

    def page(self, parent: str, total: int, size: int, start: int) -> bytes:
        head, tail = self._listed
        head = head.replace(self._parent_mark, parent)
        end = min(total, start + size)
        jobs = ",".join(f"{head}{i}{tail}" for i in range(start, end))
        token = f',"nextPageToken":"{end}"' if end < total else ""
        return f'{{"tuningJobs":[{jobs}]{token}}}'.encode()


def _answer(bodies: Bodies, target: str) -> tuple[bytes, bytes]:
    url = urllib.parse.urlsplit(target)
    path = url.path.removeprefix("/v1/").removeprefix("/v1beta1/")
    parts = path.split("/")
    if len(parts) == 6 and parts[0] == "projects" and parts[4] == "tuningJobs" and parts[5].isdigit():
        return b"200 OK", bodies.job(path, int(parts[5]))
    if len(parts) == 5 and parts[4] == "tuningJobs" and parts[1].startswith("list-"):
        query = urllib.parse.parse_qs(url.query)
        size = min(int((query.get("pageSize") or query.get("page_size") or ["50"])[0]) or 50, MAX_PAGE)
        start = int((query.get("pageToken") or query.get("page_token") or ["0"])[0] or 0)
        return b"200 OK", bodies.page("/".join(parts[:4]), int(parts[1][5:]), size, start)
    return b"404 Not Found", b'{"error":{"code":404,"message":"no such path","status":"NOT_FOUND"}}'


async def _serve(port_out: asyncio.Future[int]) -> None:
    bodies = Bodies()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                if length:
                    await reader.readexactly(length)
                target = head.split(b" ", 2)[1].decode()
                status, body = _answer(bodies, target)
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\ncontent-length: "
                    + str(len(body)).encode() + b"\r\n\r\n" + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=4096)
    port_out.set_result(server.sockets[0].getsockname()[1])
    async with server:
        await server.serve_forever()


def main() -> None:
    """Serve until stdin closes; print the port first."""

    async def run() -> None:
        loop = asyncio.get_running_loop()
        port: asyncio.Future[int] = loop.create_future()
        task = asyncio.create_task(_serve(port))
        print(await port, flush=True)
        await loop.run_in_executor(None, sys.stdin.read)
        task.cancel()
        os._exit(0)  # the parent is done: no need to wind down open connections one by one

    asyncio.run(run())


@contextlib.contextmanager
def served() -> Iterator[str]:
    """Run the loopback server in a child process; yields its base URL and stops it on exit."""
    process = subprocess.Popen(
        [sys.executable, __file__], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        assert process.stdin is not None
        process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


if __name__ == "__main__":
    main()
