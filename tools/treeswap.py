"""Put a fully built set of outputs in place of the live ones by renames, so a tree is all old or all new.

What "atomic" means for a tree of several paths (here protos/google/, the field-number lock and
generated/): each path is replaced by rename(2), which is atomic for that path, and the renames
of one swap are bound together by a journal:

1. every new path is built and fsynced in a staging folder beside the tree (same file system);
2. the journal (``journal.json`` in the work folder, written to a temporary name, fsynced, renamed)
   lists each (live, staged, backup) triple; from here on SIGINT and SIGTERM are held back;
3. each live path is renamed to its backup, each staged path to the live name;
4. if a SIGINT or SIGTERM came meanwhile, or a rename failed, the renames are undone; otherwise
   the journal is deleted: that deletion is the commit point, after which the old paths are removed
   and held signals are let through (``Interrupted.committed`` then says the new tree is in place).

Not isolation: a process reading the tree during steps 3-4 (a millisecond or so; tens of
milliseconds on a loaded disk, mostly the fsyncs) may see some paths new and others old. A crash
in steps 3-4 (SIGKILL, power loss) leaves the tree mixed and the journal behind, until the next
run: ``recover`` (which every run calls first, under the same lock) undoes the renames it lists
and says so. Runs on one tree exclude each other with ``flock`` on the tree's folder. Signals are
held for the calling thread only: run from the main thread of a process without other threads
taking them (the CLI does).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

JOURNAL = "journal.json"
SIGNALS = {signal.SIGINT, signal.SIGTERM}


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; ``committed`` says whether the new tree was already in place."""

    def __init__(self, signum: int, committed: bool = False) -> None:
        self.signum, self.committed = signum, committed
        super().__init__(f"interrupted by {signal.Signals(signum).name}")


class Busy(Exception):
    """Another run holds the tree."""


@dataclasses.dataclass(frozen=True)
class Move:
    """One path of a swap: ``live`` is replaced by ``staged`` (or removed, when None); ``backup`` keeps the old one."""

    live: Path
    staged: Path | None
    backup: Path


@dataclasses.dataclass
class Commit:
    """Whether a swap has passed its commit point (set while signals are held), and how long the tree was mixed."""

    done: bool = False
    mixed_seconds: float = 0.0


@contextlib.contextmanager
def raising_on_signals(commit: Commit) -> Iterator[None]:
    """While inside, SIGINT and SIGTERM raise ``Interrupted`` (so ``finally`` blocks clean up); main thread only.

    The exception says whether ``commit`` had passed its commit point when the signal was handled.
    """
    def handler(signum: int, frame: object) -> None:
        raise Interrupted(signum, committed=commit.done)

    previous = {s: signal.signal(s, handler) for s in SIGNALS}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@contextlib.contextmanager
def exclusive(tree: Path) -> Iterator[None]:
    """Hold the tree for this run (``flock`` on its folder); raise Busy when another run holds it."""
    fd = os.open(tree, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"another regeneration is running on {tree}") from None
        yield
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """Flush a file, or every file and folder under a folder, to disk."""
    paths = [path] if path.is_file() else [path, *path.rglob("*")]
    for p in paths:
        fd = os.open(p, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_dirs(folders: set[Path]) -> None:
    for folder in folders:
        if folder.exists():
            _fsync_one(folder)


def _fsync_one(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _forward(move: Move) -> None:
    if move.live.exists():
        move.backup.parent.mkdir(parents=True, exist_ok=True)
        os.rename(move.live, move.backup)
    if move.staged is not None:
        os.rename(move.staged, move.live)


def _undo(move: Move) -> None:
    if move.staged is not None and not move.staged.exists() and move.live.exists():
        os.rename(move.live, move.staged)  # the new path was in place: put it back where it was built
    if move.backup.exists():
        os.rename(move.backup, move.live)


def _take_pending() -> int | None:
    """A held SIGINT/SIGTERM, removed from the pending set, or None."""
    if not signal.sigpending() & SIGNALS:
        return None
    info = signal.sigtimedwait(SIGNALS, 0)
    return info.si_signo if info is not None else None


def _write_journal(work: Path, moves: list[Move]) -> None:
    def rel(path: Path | None) -> str | None:  # relative to the tree, so a moved checkout still recovers
        return None if path is None else path.relative_to(work.parent).as_posix()

    data = [{"live": rel(m.live), "staged": rel(m.staged), "backup": rel(m.backup)} for m in moves]
    tmp = work / (JOURNAL + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    fsync_tree(tmp)
    os.rename(tmp, work / JOURNAL)
    _fsync_one(work)


@contextlib.contextmanager
def _held() -> Iterator[bool]:
    """SIGINT and SIGTERM held back while inside (where the platform can take them back: not macOS/Windows)."""
    if not hasattr(signal, "sigtimedwait"):
        yield False  # no holding: a signal raises Interrupted mid-swap and the undo below still runs
        return
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, SIGNALS)
    try:
        yield True
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)


def swap(work: Path, moves: list[Move], commit: Commit, pause: Callable[[], None] | None = None) -> None:
    """Replace every ``live`` path by its ``staged`` one, all or none; record the commit point in ``commit``.

    ``pause`` runs after the first rename (signals held), for tests that interrupt a swap half-way.
    A SIGINT/SIGTERM that arrives before the commit point undoes the renames and raises Interrupted;
    one that arrives after it is handled once the old paths are removed.
    """
    with _held() as holding:
        _write_journal(work, moves)
        start = time.perf_counter()
        try:
            for i, move in enumerate(moves):
                _forward(move)
                if i == 0 and pause is not None:
                    pause()
            _fsync_dirs({m.live.parent for m in moves})
            signum = _take_pending() if holding else None
            if signum is not None:
                raise Interrupted(signum)
        except BaseException:
            for move in reversed(moves):
                _undo(move)
            (work / JOURNAL).unlink()
            raise
        (work / JOURNAL).unlink()  # the commit point
        commit.done, commit.mixed_seconds = True, time.perf_counter() - start
        _fsync_one(work)
        for move in moves:
            _remove(move.backup)


def recover(work: Path) -> list[str]:
    """Undo the renames of a swap that crashed before its commit point; say what was put back.

    Each undo step is idempotent and the journal goes last, so a recovery that is itself cut short is
    finished by the next one.
    """
    journal = work / JOURNAL
    if not journal.exists():
        return []
    tree = work.parent
    moves = [Move(tree / m["live"], None if m["staged"] is None else tree / m["staged"], tree / m["backup"])
             for m in json.loads(journal.read_text(encoding="utf-8"))]
    with _held():
        for move in reversed(moves):
            _undo(move)
        _fsync_dirs({m.live.parent for m in moves})
        journal.unlink()
    names = ", ".join(sorted(m.live.relative_to(tree).as_posix() for m in moves))
    return [f"an earlier regeneration stopped half-way through putting its output in place; put back the old {names}"]


def _remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists():
        path.unlink()
