"""The tamper-evident journal of every retrieval, enrollment, rotation and retirement.

JSON Lines. Each record carries ``seq`` (1, 2, ...), ``prev`` (the SHA-256 of the
record before it; 64 zeros for the first) and ``hash`` (the SHA-256 of its own
canonical JSON without ``hash``). Editing, removing or reordering a record breaks
the chain. A head file beside the journal (``<journal>.head``) holds the last
record's number and hash, so that cutting records off the end is noticed too;
and every command that writes a record prints ``journal: record N sha256:H`` on
stderr, so the hash can be pasted into a ticket as an anchor that a person with
write access to both files cannot change: ``journal verify --anchor N:H``.

Records never hold a secret.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import fsutil
from .errors import InputError

GENESIS = "0" * 64


def _canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(_canonical(body)).hexdigest()


def actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name on this platform or container
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


@dataclass
class Verification:
    count: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.head_path = Path(str(self.path) + ".head")

    def _read_lines(self) -> list[bytes]:
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return []
        return data.splitlines()

    def records(self) -> list[dict]:
        out = []
        for number, line in enumerate(self._read_lines(), 1):
            if not line.strip():
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                out.append({"seq": None, "event": f"(line {number} is not JSON)"})
        return out

    def _tail(self, existing: bytes) -> tuple[int, str]:
        lines = [ln for ln in existing.splitlines() if ln.strip()]
        if not lines:
            return 0, GENESIS
        try:
            last = json.loads(lines[-1])
            return int(last["seq"]), str(last["hash"])
        except (ValueError, KeyError, TypeError):
            raise InputError(
                f"journal {self.path} ends with a damaged record: run 'rootkeeper journal verify' "
                "and restore the journal from a copy before recording more"
            ) from None

    def ready(self) -> None:
        """Refuse early (before a store is changed) if a record could not be appended."""
        try:
            self._tail(self.path.read_bytes())
        except FileNotFoundError:
            pass
        if self.path.is_dir():
            raise InputError(f"journal {self.path} is a directory: give a file path in [journal] path")

    def append(self, events: list[dict]) -> list[tuple[int, str]]:
        """Append records for ``events`` atomically; returns (seq, hash) of each."""
        if not events:
            return []
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with fsutil.file_lock(self.path):
            try:
                existing = self.path.read_bytes()
            except FileNotFoundError:
                existing = b""
            seq, prev = self._tail(existing)
            stamped = []
            now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            who = actor()
            new_lines = []
            for event in events:
                seq += 1
                record = {"seq": seq, "time": now, "actor": who, **event, "prev": prev}
                record["hash"] = record_hash(record)
                prev = record["hash"]
                new_lines.append(_canonical(record))
                stamped.append((seq, prev))
            body = existing
            if body and not body.endswith(b"\n"):
                body += b"\n"
            body += b"\n".join(new_lines) + b"\n"
            fsutil.atomic_write(self.path, body)
            fsutil.atomic_write(self.head_path, f"{seq} {prev}\n".encode())
        return stamped

    def verify(self, anchors: list[str] | None = None) -> Verification:
        result = Verification()
        lines = self._read_lines()
        prev, expected_seq = GENESIS, 1
        hashes: dict[int, str] = {}
        for number, line in enumerate(lines, 1):
            if not line.strip():
                result.problems.append(f"line {number}: blank line inside the journal")
                continue
            try:
                record = json.loads(line)
                seq, stored, link = record["seq"], record["hash"], record["prev"]
            except (ValueError, KeyError, TypeError):
                result.problems.append(f"line {number}: not a journal record (damaged or edited)")
                prev, expected_seq = None, expected_seq + 1
                continue
            if record_hash(record) != stored:
                result.problems.append(f"line {number} (record {seq}): its content does not match its hash: edited")
            if prev is not None and link != prev:
                result.problems.append(
                    f"line {number} (record {seq}): does not follow the record before it: "
                    "a record was removed, inserted or reordered"
                )
            if seq != expected_seq:
                result.problems.append(f"line {number}: record number {seq}, expected {expected_seq}")
            hashes[seq] = stored
            prev, expected_seq = stored, (seq + 1 if isinstance(seq, int) else expected_seq + 1)
            result.count += 1
        result.head = prev or ""
        self._check_head(result, hashes)
        for anchor in anchors or []:
            try:
                seq_text, want = anchor.replace("sha256:", "").split(":", 1)
                seq = int(seq_text)
            except ValueError:
                raise InputError(f"anchor {anchor!r} is not N:HASH (as printed after 'journal: record')") from None
            if hashes.get(seq) != want.strip().lower():
                result.problems.append(
                    f"anchor {seq}: record {seq} is {'missing' if seq not in hashes else 'different'}: "
                    "the journal was altered or cut after that record was written"
                )
        return result

    def _check_head(self, result: Verification, hashes: dict[int, str]) -> None:
        try:
            text = self.head_path.read_text().split()
        except FileNotFoundError:
            if result.count:
                result.problems.append(f"head file {self.head_path} is missing: the journal's end cannot be checked")
            return
        try:
            head_seq, head_hash = int(text[0]), text[1]
        except (IndexError, ValueError):
            result.problems.append(f"head file {self.head_path} is damaged")
            return
        if head_seq > result.count or hashes.get(head_seq) != head_hash:
            result.problems.append(
                f"the head file says record {head_seq} was written last, but the journal "
                f"{'has only ' + str(result.count) + ' records' if head_seq > result.count else 'differs there'}: "
                "records were removed from the end or altered"
            )
        elif head_seq < result.count:
            result.notes.append(
                f"the journal has {result.count - head_seq} record(s) after the head file's record {head_seq} "
                "(a crash between the two writes?)"
            )
