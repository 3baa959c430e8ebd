"""SQLite storage for jobs and operations: one connection, one lock, every write in a transaction.

Rows keep the proto3 JSON a client sent (plus server-set names and times) and the few
columns needed to page and compute state; output-only state is derived on read. Ids come
from counters in ``meta`` and are never reused, even after a delete. The database also
keeps the secret that signs page tokens. When another process holds the write lock past
``BUSY_TIMEOUT``, a call fails with a retryable UNAVAILABLE (nothing was written) or
ABORTED (the commit itself lost), never INTERNAL; a full disk (or database) fails a write with
RESOURCE_EXHAUSTED naming the database file, and nothing is written. Inside ``without_waiting()`` a read that
would wait for a lock (and any write) raises ``WouldWait`` instead, so an event loop can
serve reads itself and hand only those to a worker thread.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, NamedTuple

import orjson
from vertex_tuning_protos.google.rpc import Code

from vertex_tuning.server.errors import StatusError, detail

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, parent TEXT NOT NULL,
    create_ns INTEGER NOT NULL, cancel_ns INTEGER, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS jobs_by_parent ON jobs (parent, seq);
CREATE TABLE IF NOT EXISTS operations (
    seq INTEGER PRIMARY KEY, name TEXT UNIQUE NOT NULL, parent TEXT NOT NULL, job TEXT NOT NULL,
    create_ns INTEGER NOT NULL, done_ns INTEGER NOT NULL, cancel_ns INTEGER, metadata TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS operations_by_parent ON operations (parent, seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value);
"""
BUSY_TIMEOUT = 2.0
"""Seconds a call waits for another process's SQLite write lock before answering UNAVAILABLE."""
_ID_BASE = 1_000_000_000_000_000_000  # ids look like the service's 19-digit numbers


class WouldWait(Exception):
    """Raised inside ``Store.without_waiting()`` by a call that would wait for a lock, or write."""


class JobRow(NamedTuple):
    """A stored job: its input JSON (with name and createTime), creation and cancel-request times.

    A plain tuple (a listing builds one per row, and reads of a cached rendering never touch the body).
    """

    seq: int
    name: str
    parent: str
    create_ns: int
    cancel_ns: int | None
    stored: dict[str, Any] | str | bytes  # the body, or its JSON text as stored

    @property
    def body(self) -> dict[str, Any]:
        """The job's input JSON (parsed on each read: renderings are cached, so a job's body is rarely read)."""
        if not isinstance(self.stored, dict):
            parsed: dict[str, Any] = orjson.loads(self.stored)
            return parsed
        return self.stored


@dataclass(frozen=True)
class OperationRow:
    """A stored long-running operation on ``parent`` (a job) whose result is the job ``job``."""

    seq: int
    name: str
    parent: str
    job: str
    create_ns: int
    done_ns: int
    cancel_ns: int | None
    metadata: dict[str, Any]


def _contended(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _full(exc: sqlite3.Error) -> bool:
    """Whether SQLite failed for want of space (SQLITE_FULL, or an I/O error with "no space" in it)."""
    name = getattr(exc, "sqlite_errorname", "")
    text = str(exc).lower()
    return name == "SQLITE_FULL" or "disk is full" in text or "no space" in text


def _retryable(code: Code, what: str) -> StatusError:
    message = f"The database is busy ({what}); retry shortly."
    return StatusError(code, message, [detail("google.rpc.RetryInfo", retryDelay="1s")], headers={"Retry-After": "1"})


_job = JobRow._make


def _operation(row: tuple[Any, ...]) -> OperationRow:
    return OperationRow(row[0], row[1], row[2], row[3], row[4], row[5], row[6], orjson.loads(row[7]))


class Store:
    """Jobs and operations in SQLite (``":memory:"`` by default, or a file that survives restarts)."""

    def __init__(self, path: str | None = None) -> None:
        self._db = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None, timeout=BUSY_TIMEOUT
        )
        self._lock = threading.RLock()
        self._file = path if path and path != ":memory:" else None
        self._readers = threading.local()
        self._no_wait = threading.local()  # .on: this thread's calls raise WouldWait rather than wait
        self._commits = 0  # transactions ended here (in memory, the only writer)
        self._reader_list: list[sqlite3.Connection] = []
        self._reader_list_lock = threading.Lock()  # not self._lock: a writer waiting on SQLite holds that one
        if self._file:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        with self.transaction() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES ('token_secret', ?)", (secrets.token_hex(32),))
            (secret,) = db.execute("SELECT value FROM meta WHERE key = 'token_secret'").fetchone()
        self.token_secret: bytes = bytes.fromhex(secret)
        """Per-database key that signs page tokens (kept in the file, so tokens survive a restart)."""

    @contextmanager
    def without_waiting(self) -> Iterator[None]:
        """Within: reads that would wait for a lock, and all writes, raise ``WouldWait`` (nothing is changed)."""
        self._no_wait.on = True
        try:
            yield
        finally:
            self._no_wait.on = False

    def _waiting_allowed(self) -> bool:
        return not getattr(self._no_wait, "on", False)

    def _full_error(self) -> StatusError:
        where = f"The database {self._file}" if self._file else "The in-memory database"
        return StatusError(Code.RESOURCE_EXHAUSTED,
                           f"{where} is full (no space left for it); nothing was written. Free some space and retry.")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Hold the lock and a write transaction; commit on success, roll back on error.

        A full disk or database raises RESOURCE_EXHAUSTED naming the database (rolled back: nothing written).
        """
        try:
            with self._transaction() as db:
                yield db
        except sqlite3.Error as exc:
            if _full(exc):
                raise self._full_error() from None
            raise

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        if not self._waiting_allowed():
            raise WouldWait
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if _contended(exc):
                    raise _retryable(Code.UNAVAILABLE, "another writer holds the lock") from None
                raise
            try:
                try:
                    yield self._db
                except BaseException:
                    if self._db.in_transaction:  # (SQLite may have rolled back already, e.g. when full)
                        self._db.execute("ROLLBACK")
                    raise
                try:
                    self._db.execute("COMMIT")
                except sqlite3.OperationalError as exc:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    if _contended(exc):
                        raise _retryable(Code.ABORTED, "the commit lost to another writer") from None
                    raise
            finally:
                self._commits += 1  # under the lock; after the transaction ended, so a version read before it differs

    def version(self) -> object:
        """Changes whenever the stored data may have: read it before reading rows, compare it before reusing them.

        In memory this server is the only writer; a file may also be written by other processes, which
        SQLite's ``data_version`` of this thread's read connection reports.
        """
        if self._file is None:
            return self._commits
        with self._reading() as db:
            (changes,) = db.execute("PRAGMA data_version").fetchone()
        return (id(db), changes)

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads: the shared one in memory; per thread for a file (WAL readers never wait)."""
        waiting = self._waiting_allowed()
        try:
            if self._file is None:
                if not self._lock.acquire(blocking=waiting):
                    raise WouldWait
                try:
                    yield self._db
                finally:
                    self._lock.release()
            else:
                yield self._reader(waiting)
        except sqlite3.OperationalError as exc:
            if _contended(exc):
                if not waiting:
                    raise WouldWait from None
                raise _retryable(Code.UNAVAILABLE, "another writer holds the lock") from None
            raise

    def _reader(self, waiting: bool) -> sqlite3.Connection:
        """This thread's read connection; one that never waits for SQLite's locks when not ``waiting``."""
        attr = "db" if waiting else "db_no_wait"
        reader: sqlite3.Connection | None = getattr(self._readers, attr, None)
        if reader is None:
            assert self._file is not None
            reader = sqlite3.connect(self._file, check_same_thread=False, isolation_level=None,
                                     timeout=BUSY_TIMEOUT if waiting else 0.0)
            setattr(self._readers, attr, reader)
            with self._reader_list_lock:
                self._reader_list.append(reader)
        return reader

    def close(self) -> None:
        """Close the database."""
        with self._lock, self._reader_list_lock:
            for reader in self._reader_list:
                reader.close()
            self._db.close()

    def _next_seq(self, db: sqlite3.Connection, table: str) -> int:
        """The next id of ``table``: a counter that only grows (a deleted row's id is never handed out again)."""
        key = f"next_seq.{table}"
        db.execute(f"INSERT OR IGNORE INTO meta SELECT ?, COALESCE(MAX(seq), 0) FROM {table}", (key,))
        db.execute("UPDATE meta SET value = value + 1 WHERE key = ?", (key,))
        (value,) = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(value)

    def insert_job(
        self, parent: str, create_ns: int, build: Callable[[str], tuple[str, dict[str, Any]]]
    ) -> JobRow:
        """Store a new job under ``parent``; ``build(id)`` returns its name and JSON body."""
        with self.transaction() as db:
            seq = self._next_seq(db, "jobs")
            name, body = build(str(_ID_BASE + seq))
            db.execute(
                "INSERT INTO jobs (seq, name, parent, create_ns, cancel_ns, body) VALUES (?, ?, ?, ?, NULL, ?)",
                (seq, name, parent, create_ns, orjson.dumps(body).decode()),
            )
        return JobRow(seq, name, parent, create_ns, None, body)

    def _by_name(self, table: str, name: str) -> tuple[Any, ...] | None:
        with self._reading() as db:
            row: tuple[Any, ...] | None = db.execute(f"SELECT * FROM {table} WHERE name = ?", (name,)).fetchone()
        return row

    def _page(self, table: str, parent: str, before_seq: int | None, limit: int) -> list[tuple[Any, ...]]:
        """Up to ``limit`` rows of ``parent``, newest first, older than ``before_seq`` when given."""
        with self._reading() as db:
            return db.execute(
                f"SELECT * FROM {table} WHERE parent = ? AND seq < ? ORDER BY seq DESC LIMIT ?",
                (parent, before_seq if before_seq is not None else 1 << 62, limit),
            ).fetchall()

    def get_job(self, name: str) -> JobRow | None:
        """The job called ``name``, or None."""
        row = self._by_name("jobs", name)
        return None if row is None else _job(row)

    def jobs_before(self, parent: str, before_seq: int | None, limit: int) -> list[JobRow]:
        """Up to ``limit`` jobs of ``parent``, newest first, older than ``before_seq`` when given."""
        return [_job(row) for row in self._page("jobs", parent, before_seq, limit)]

    def request_cancel(self, name: str, cancel_ns: int, allowed: Callable[[JobRow], bool]) -> JobRow | None:
        """Record a cancel request at ``cancel_ns`` if ``allowed(job)``; returns the job as it was (None if absent).

        The check and the write happen in one transaction, so two cancels cannot both win.
        """
        with self.transaction() as db:
            row = db.execute("SELECT * FROM jobs WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            job = _job(row)
            if job.cancel_ns is None and allowed(job):
                db.execute("UPDATE jobs SET cancel_ns = ? WHERE seq = ?", (cancel_ns, job.seq))
            return job

    def insert_operation(
        self, parent: str, job: str, create_ns: int, done_ns: int, metadata: dict[str, Any], name_for: Callable[[str], str]
    ) -> OperationRow:
        """Store a new operation on job ``parent`` whose result will be job ``job``."""
        with self.transaction() as db:
            seq = self._next_seq(db, "operations")
            name = name_for(str(_ID_BASE + seq))
            db.execute(
                "INSERT INTO operations VALUES (?, ?, ?, ?, ?, ?, NULL, ?)",
                (seq, name, parent, job, create_ns, done_ns, orjson.dumps(metadata).decode()),
            )
        return OperationRow(seq, name, parent, job, create_ns, done_ns, None, metadata)

    def get_operation(self, name: str) -> OperationRow | None:
        """The operation called ``name``, or None."""
        row = self._by_name("operations", name)
        return None if row is None else _operation(row)

    def operations_before(self, parent: str, before_seq: int | None, limit: int) -> list[OperationRow]:
        """Up to ``limit`` operations of job ``parent``, newest first, older than ``before_seq`` when given."""
        return [_operation(row) for row in self._page("operations", parent, before_seq, limit)]

    def cancel_operation(self, name: str, cancel_ns: int) -> OperationRow | None:
        """Mark a still-running operation cancelled at ``cancel_ns``; returns it as it was (None if absent)."""
        with self.transaction() as db:
            row = db.execute("SELECT * FROM operations WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            op = _operation(row)
            if op.cancel_ns is None and cancel_ns < op.done_ns:
                db.execute("UPDATE operations SET cancel_ns = ? WHERE seq = ?", (cancel_ns, op.seq))
            return op

    def delete_operation(self, name: str) -> bool:
        """Forget the operation called ``name``; False if there was none."""
        with self.transaction() as db:
            return db.execute("DELETE FROM operations WHERE name = ?", (name,)).rowcount > 0
