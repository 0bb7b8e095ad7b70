"""How anything is written: a change of the stores (or of files beside them) as one transaction.

Under the journal's lock: verify the whole chain (``Journal.checked``), settle what an interrupted
command left, write the intent marker (``<journal>.pending``: the events and each file's digest before
and after), replace the files (``fsutil.replace_all``: every file's lock, every file checked against
what was read, a failed write put back), append the records, remove the marker. A command killed
between the replace and the record leaves the marker, which the next transaction records ("interrupted")
and ``verify`` reports. A record without a file change (a retrieval) is ``append``: the same lock, the
same checks, no marker. ``StoreLocks`` is the lock set a writing command holds on its stores from the
moment it reads them until this writes them.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import CorruptError, InputError, LockError
from . import fsutil, syncfolder
from .journal import Journal, Mark, Verification, canonical


@dataclass
class Pending:
    """An interrupted change: its events, and which of its files hold the new bytes."""

    events: list[dict]
    journal_seq: int | None = None  # the journal's last record when the change began
    written: list[str] = field(default_factory=list)
    not_written: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)  # neither the old nor the new bytes

    @property
    def changed(self) -> bool:
        return bool(self.written or self.unknown)


def ready(journal: Journal) -> None:
    """Refuse early (before a store is changed or AWS is called) if a record could not be appended."""
    if journal.path.is_dir():
        raise InputError(f"journal {journal.path} is a directory: give a file path in [journal] path")
    journal.checked()


def append(journal: Journal, events: list[dict]) -> list[tuple[int, str]]:
    """Append records for ``events`` atomically; returns (seq, hash) of each."""
    if not events:
        return []
    with _writing(journal) as (existing, seq, prev):
        return journal.write(existing, seq, prev, events)


def commit(journal: Journal, changes: list[tuple], events: list[dict], *, mark: Mark | None = None) -> list[tuple[int, str]]:
    """Replace the files in ``changes`` (``(path, data, bytes read or None[, mode])``, see
    ``fsutil.replace_all``) and record ``events``. ``mark``: what the stores written say of this journal,
    which must still hold (checked under its lock). A failure before any file is replaced removes the
    marker: nothing changed."""
    syncfolder.check_writes([journal.path, *(path for path, *_rest in changes)])
    with _writing(journal) as (existing, seq, prev):
        journal.check_mark(mark, "this change")
        # Each file named relative to the journal's directory: another machine that mounts the share elsewhere
        # (another drive letter, /Volumes/team instead of /mnt/team) settles the marker all the same.
        marker = {"events": events, "journal_seq": seq, "files": [
            {"path": fsutil.relative(path, journal.path.parent), "before": fsutil.digest(old),
             "after": fsutil.digest(data)} for path, data, old, *_mode in changes]}
        fsutil.atomic_write(journal.pending_path, canonical(marker) + b"\n")
        try:
            fsutil.replace_all(changes)
        except (LockError, fsutil.RolledBack):
            journal.pending_path.unlink(missing_ok=True)  # refused, or put back: no file changed
            raise
        except BaseException:
            # Part written (a disk that filled between two files): what was written is recorded
            # now, or, if even that fails, the marker stays for the next command to settle.
            with contextlib.suppress(Exception):
                _settle(journal, existing, seq, prev)
            raise
        stamps = journal.write(existing, seq, prev, events)
        with contextlib.suppress(OSError):  # recorded: a marker left here is settled by the next command (which
            fsutil.retrying(journal.pending_path.unlink, True)  # sees its events recorded), never a failure now
        return stamps


def verify(journal: Journal, anchors: list[str] | None = None) -> Verification:
    """The chain, its head and ``anchors`` (``Journal.verify_chain``), and a change left half-done."""
    result = journal.verify_chain(anchors)
    left = pending(journal)
    if left is not None and _recorded(left, journal.lines()):
        result.notes.append("an interrupted command left a pending marker after recording its change "
                            "(the next command that records removes it)")
    elif left is not None and left.changed:
        result.problems.append(
            f"a change was written but not recorded ({', '.join(e['event'] for e in left.events)} "
            f"to {', '.join(left.written + left.unknown)}): the command was interrupted; "
            "the next command that records settles it"
        )
    elif left is not None:
        result.notes.append("an interrupted command left a pending marker but changed nothing")
    return result


def pending(journal: Journal) -> Pending | None:
    """The change an interrupted command left unrecorded, classified by the files' digests now."""
    try:
        data = journal.pending_path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        marker = json.loads(data)
        events = [dict(e) for e in marker["events"]]
        files = [(str(f["path"]), f["before"], f["after"]) for f in marker["files"]]
        if not all(isinstance(e.get("event"), str) for e in events):
            raise ValueError
    except (ValueError, KeyError, TypeError):
        raise CorruptError(
            f"{journal.pending_path} is damaged: compare the stores with their copies, then delete it"
        ) from None
    seq = marker.get("journal_seq")
    out = Pending(events, seq if isinstance(seq, int) and not isinstance(seq, bool) else None)
    for name, before, after in files:
        path = fsutil.real(journal.path).parent / fsutil.portable(name)  # relative to the journal's directory
        try:
            now = fsutil.digest(path.read_bytes())
        except FileNotFoundError:
            now = None
        (out.written if now == after else out.not_written if now == before else out.unknown).append(str(path))
    return out


@contextlib.contextmanager
def _writing(journal: Journal) -> Iterator[tuple[bytes, int, str]]:
    """Hold the journal's lock over a verified journal, an earlier interrupted change settled: yields its
    bytes and its last (seq, hash)."""
    journal.path.parent.mkdir(parents=True, exist_ok=True)
    with fsutil.file_lock(journal.path):
        existing, seq, prev = journal.checked()
        yield _settle(journal, existing, seq, prev)


def _settle(journal: Journal, existing: bytes, seq: int, prev: str) -> tuple[bytes, int, str]:
    """Record what an interrupted command changed (the caller holds the lock); drop the marker of a change
    that never reached the disk."""
    left = pending(journal)
    if left is None:
        return existing, seq, prev
    if _recorded(left, existing.splitlines()):
        pass  # killed after its records were appended, before the marker was removed: nothing to add
    elif left.changed:
        late = [{**event, "interrupted": "recorded by a later command: the command that made this change "
                 "stopped before recording it", "written": left.written,
                 "not_written": left.not_written, "changed_since": left.unknown}
                for event in left.events]
        journal.write(existing, seq, prev, late)
        existing, seq, prev = journal.checked()
    journal.pending_path.unlink(missing_ok=True)
    return existing, seq, prev


def _recorded(left: Pending, lines: list[bytes]) -> bool:
    """The marker's events are the records right after the one it began from: already recorded."""
    start = left.journal_seq
    if start is None or len(lines) < start + len(left.events):
        return False
    for line, event in zip(lines[start:start + len(left.events)], left.events, strict=True):
        try:
            record = json.loads(line)
        except ValueError:
            return False
        if not isinstance(record, dict) or any(record.get(k) != v for k, v in event.items()):
            return False
    return True


class StoreLocks:
    """The locks a writing command holds on its stores, from the moment it reads one until it is written
    (or the command ends): two writers never both read the same state; the second waits (the lock wait,
    ``settings``). Every store at once, in one order, whichever is read first: two writers cannot each
    hold one store and wait for the other (the journal's lock is always taken last, in ``commit``)."""

    def __init__(self) -> None:
        self._held: dict[Path, contextlib.ExitStack] = {}

    def take(self, paths: list[Path]) -> None:
        if self._held:
            return
        for path in sorted({fsutil.real(p) for p in paths}):
            stack = contextlib.ExitStack()
            stack.enter_context(fsutil.file_lock(path))
            self._held[path] = stack

    def release(self, path: Path | None = None) -> None:
        """Release the lock held on ``path`` (every lock, without one)."""
        for held in [fsutil.real(path)] if path is not None else list(self._held):
            stack = self._held.pop(held, None)
            if stack is not None:
                stack.close()
