"""Slow peers over real sockets on 127.0.0.1: a server that trickles its answer, clients that trickle their requests.

``trickling_server`` answers every request with a fixed HTTP response written a few bytes at a
time (the headers, the body, or both), to prove a client's deadline covers every byte.
``slowloris`` opens many connections that send a request's headers a byte at a time and never
finish them, to prove a server keeps serving others. Both are bounded in sockets and seconds.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable, Iterator

import orjson

__all__ = ["Slowloris", "http_response", "slowloris", "trickling_server", "wait_until"]


def http_response(body: object, status: str = "200 OK") -> tuple[bytes, bytes]:
    """The head (status line and headers) and body of a JSON response."""
    content = orjson.dumps(body)
    head = f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(content)}\r\n\r\n"
    return head.encode(), content


@contextlib.contextmanager
def trickling_server(
    head: bytes, body: bytes, *, interval: float = 0.25, trickle_head: bool = False, chunk: int = 1
) -> Iterator[str]:
    """A server on 127.0.0.1 that answers each request with ``head`` then ``body``, ``chunk`` bytes per ``interval``.

    Only the body trickles unless ``trickle_head``. Each connection stops after its answer or
    when the client goes away; the server stops when the block ends. Yields its base URL.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def answer(conn: socket.socket) -> None:
        with conn:
            conn.settimeout(5)
            try:
                request = b""
                while b"\r\n\r\n" not in request and len(request) < 65536:
                    data = conn.recv(65536)
                    if not data:
                        return
                    request += data
                if not trickle_head:
                    conn.sendall(head)
                slow = head + body if trickle_head else body
                for start in range(0, len(slow), chunk):
                    if stop.wait(interval):
                        return
                    conn.sendall(slow[start:start + chunk])
            except OSError:
                return  # the client gave up: that is what the tests want to see

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=answer, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(5)
        listener.close()


class Slowloris:
    """``count`` connections to ``host:port``, each sending a request's headers one byte per ``interval``, never ending them.

    ``idle`` sockets send nothing at all. With ``reconnect``, a socket the server closes is replaced
    (up to ``count`` replacements in all), as a real attacker would. ``lifetimes`` holds how long
    each closed socket was held open.
    """

    def __init__(
        self, host: str, port: int, count: int, interval: float = 1.0, *, idle: bool = False, reconnect: bool = False
    ) -> None:
        self.address = (host, port)
        self.count = count
        self.interval = interval
        self.idle = idle
        self.replacements = count if reconnect else 0
        self.sockets: list[socket.socket] = []
        self.opened: dict[socket.socket, float] = {}
        self.lifetimes: list[float] = []
        self.closed_by_server = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drip, daemon=True)

    def _connect(self) -> None:
        sock = socket.create_connection(self.address, timeout=5)
        sock.setblocking(False)
        self.sockets.append(sock)
        self.opened[sock] = time.monotonic()

    def open(self) -> None:
        """Connect every socket, then start dripping."""
        for _ in range(self.count):
            self._connect()
        self._thread.start()

    def _drip(self) -> None:
        line = b"GET /v1/projects/p/locations/us-central1/tuningJobs HTTP/1.1\r\nHost: localhost\r\nX-a: "
        sent: dict[socket.socket, int] = {}
        while not self._stop.wait(self.interval):
            for sock in list(self.sockets):
                try:
                    if sock.recv(1) == b"":  # the server closed it (b"" is EOF; an answer is fine too)
                        self._closed(sock)
                        continue
                except BlockingIOError:
                    pass
                except OSError:
                    self._closed(sock)
                    continue
                if self.idle:
                    continue
                offset = sent.get(sock, 0)
                sent[sock] = offset + 1
                try:
                    sock.send(line[offset:offset + 1] or b"a")
                except OSError:
                    self._closed(sock)

    def _closed(self, sock: socket.socket) -> None:
        self.sockets.remove(sock)
        self.lifetimes.append(time.monotonic() - self.opened.pop(sock))
        self.closed_by_server += 1
        sock.close()
        if self.replacements > 0 and not self._stop.is_set():
            self.replacements -= 1
            with contextlib.suppress(OSError):
                self._connect()

    @property
    def open_count(self) -> int:
        """Sockets the server has not closed yet."""
        return len(self.sockets)

    def close(self) -> None:
        """Stop dripping and close what is left."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        for sock in self.sockets:
            sock.close()
        self.sockets.clear()


@contextlib.contextmanager
def slowloris(
    host: str, port: int, count: int, interval: float = 1.0, *, idle: bool = False, reconnect: bool = False
) -> Iterator[Slowloris]:
    """Hold ``count`` never-finished requests open against ``host:port`` for the block's duration."""
    attack = Slowloris(host, port, count, interval, idle=idle, reconnect=reconnect)
    try:
        attack.open()
        yield attack
    finally:
        attack.close()


def wait_until(condition: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds pass; whether it came true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
