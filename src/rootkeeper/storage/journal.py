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
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from ..errors import CorruptError, InputError
from . import fsutil

GENESIS = "0" * 64
_SEQ = re.compile(rb',"seq":([0-9]{1,18})[,}]')
_TIME = re.compile(rb'"time":"([0-9T:Z-]{20})"')


def canonical(record: dict) -> bytes:
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def record_hash(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(canonical(body)).hexdigest()


def _fast_fields(line: bytes) -> tuple[int, str, str] | None:
    """(seq, hash, prev) of a line as this module writes it (canonical JSON), checked by hashing
    its bytes without the ``hash`` member; None for anything else (the caller parses it fully).

    A match binds the hash to the exact bytes, which is at least as strong as hashing the
    parsed content; it is about five times faster than parsing and re-serialising.
    """
    at = line.find(b',"hash":"')
    if at < 0 or line[at + 73:at + 74] != b'"' or not (line.startswith(b"{") and line.endswith(b"}")):
        return None
    stored = line[at + 9:at + 73]
    digest = hashlib.sha256(line[:at])
    digest.update(line[at + 74:])
    if digest.hexdigest().encode() != stored:
        return None
    link_at = line.find(b',"prev":"')
    seq = _SEQ.search(line)
    if link_at < 0 or seq is None or line[link_at + 73:link_at + 74] != b'"':
        return None
    return int(seq.group(1)), stored.decode(), line[link_at + 9:link_at + 73].decode()


def _seq_and_hash(line: bytes) -> tuple[int, str] | None:
    """(seq, hash) a line says it has (not checked: ``verify`` checks), however it is formatted."""
    fast = _fast_fields(line) if line else None
    if fast is not None:
        return fast[0], fast[1]
    try:
        record = json.loads(line)
        return (record["seq"], str(record["hash"])) if isinstance(record, dict) else None
    except (ValueError, KeyError):
        return None


MIN_ANCHOR_DIGITS = 16


def batch(ids: list[str]) -> dict:
    """What a record says of a batch of accounts, whatever its size: how many, and the SHA-256 of their
    sorted ids, one a line (``printf '%s\\n' ID... | sort | sha256sum``); the id itself when there is one."""
    digest = hashlib.sha256("".join(f"{i}\n" for i in sorted(ids)).encode()).hexdigest()
    return {"count": len(ids), "accounts_sha256": digest, **({"account_id": ids[0]} if len(ids) == 1 else {})}


def reason_field(reason: str | None) -> dict:
    """A record's ``reason``, when one was given (a script may leave it out)."""
    return {"reason": reason} if reason else {}


def parse_anchor(text: str) -> tuple[int, str]:
    """``N:HASH`` (also ``N:sha256:HASH``) -> (N, lowercase hash or a prefix of 16+ hex digits)."""
    try:
        seq_text, want = text.strip().replace("sha256:", "").split(":", 1)
        seq = int(seq_text)
    except ValueError:
        raise InputError(f"anchor {text!r} is not N:HASH (as printed after 'journal: record')") from None
    want = want.strip().lower().rstrip(".")
    if not re.fullmatch(r"[0-9a-f]+", want) or seq < 1:
        raise InputError(f"anchor {text!r} is not N:HASH: N is a record number, HASH hex digits")
    if len(want) < MIN_ANCHOR_DIGITS:
        raise InputError(f"anchor {text!r} has {len(want)} hex digits: give at least {MIN_ANCHOR_DIGITS} "
                         "(the whole hash, as printed after 'journal: record', is best)")
    return seq, want


def printable(value: object) -> str:
    """A record's value as a terminal may show it: control characters escaped, never acted on."""
    text = str(value)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


def actor() -> str:
    try:
        user = getpass.getuser()
    except Exception:  # no user name on this platform or container
        user = "unknown"
    return f"{user}@{fsutil.hostname()}"


@dataclass
class Verification:
    count: int = 0
    head: str = GENESIS
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Mark:
    """What a store says of the journal it belongs to, kept in its authenticated content (the vault's
    metadata, the seed store's header) by every write: the journal (the hash of its first record, its
    identity), the last record the write saw (its number and hash) and where the journal was. A command run
    against the store with another journal, an empty or a missing one, refuses (``Journal.check_mark``)."""

    journal: str  # the hash of the journal's first record
    seq: int
    hash: str
    path: str

    PREFIX = "rootkeeper-journal/1 "

    def text(self) -> str:
        """One line of printable ASCII (the path percent-encoded): a header cell, a metadata value."""
        from urllib.parse import quote

        path = quote(self.path, safe="/:" + "\\")
        return f"{self.PREFIX}{self.journal} {self.seq} {self.hash} {path}"

    @classmethod
    def parse(cls, text: str | None) -> Mark | None:
        """The mark in ``text``; None when there is none. A mark that does not parse is damage."""
        if not text:
            return None
        parts = text.removeprefix(cls.PREFIX).split(" ", 3) if text.startswith(cls.PREFIX) else []
        if len(parts) != 4 or not parts[1].isdigit() or not all(re.fullmatch(r"[0-9a-f]{64}", h) for h in parts[::2]):
            raise CorruptError("its record of the journal it belongs to is damaged: restore it from a copy")
        from urllib.parse import unquote

        return cls(parts[0], int(parts[1]), parts[2], unquote(parts[3]))


class Journal:
    """The journal file and its head file: the chain, read, verified and appended to. Every write goes
    through ``transaction`` (under the journal's lock, the whole chain verified against the head file
    first, so a journal edited behind its back is never extended and its head never rewritten to match);
    ``pending_path`` is where a transaction keeps its intent while it writes the stores.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.head_path = Path(str(self.path) + ".head")
        self.pending_path = Path(str(self.path) + ".pending")

    def _read_bytes(self) -> bytes:
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""
        except IsADirectoryError:
            raise InputError(f"journal {self.path} is a directory: give a file path in [journal] path") from None

    def lines(self) -> list[bytes]:
        return self._read_bytes().splitlines()

    def records(self) -> list[dict]:
        out = []
        for number, line in enumerate(self.lines(), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError:
                record = None
            out.append(record if isinstance(record, dict) else {"seq": None, "event": f"(line {number} is not a record)"})
        return out

    def identity(self) -> str | None:
        """The journal's identity: the hash of its first record (None while it has none)."""
        try:
            with open(self.path, "rb") as handle:
                first = handle.readline().strip()
        except (FileNotFoundError, IsADirectoryError):
            return None
        found = _seq_and_hash(first)
        return found[1] if found is not None else None

    def mark(self) -> Mark | None:
        """The mark a store written now gets: this journal and its last record (by its head file, which every
        write verifies); None while the journal has no record."""
        identity = self.identity()
        try:
            seq_text, head = self.head_path.read_text().split()[:2]
            seq = int(seq_text)
        except (OSError, ValueError):
            return None
        if identity is None or seq < 1:
            return None
        return Mark(identity, seq, head, str(fsutil.real(self.path)))

    def check_mark(self, mark: Mark | None, what: str, held: Callable[[], int] = lambda: 0) -> None:
        """Refuse to go on with ``what`` (a store) when this is not the journal it was last written with, or
        this journal lacks the record that write saw: another journal (another directory, another copy of
        the configuration), an empty or a missing one (deleted, with its head), or one cut or rewritten.
        A store that names no journal yet (written by an older rootkeeper, or while the journal had no
        record; its next write names it) is refused only when it ``held`` accounts and this journal has not
        one record: every account came in with a record, so they are missing."""
        if mark is None:
            count = held() if self.identity() is None and not self._first_write_interrupted() else 0
            if count:
                raise CorruptError(f"the journal {self.path} has no record, but {what} holds {count} account(s): "
                                   "their records are missing (the journal deleted with its .head file?); restore "
                                   "both from a copy")
            return
        identity = self.identity()
        here = str(fsutil.real(self.path))
        seen = f"it had {mark.seq} record(s) when {what} was last written"
        if identity != mark.journal:
            state = ("does not exist" if not self.path.exists() else "has no record" if identity is None else
                     "is another journal")
            if here == mark.path:  # the journal it belongs to, at its place, is gone or is another one
                raise CorruptError(f"{what} belongs to the journal {self.path}, which {state} now ({seen}): it was "
                                   "deleted or replaced; restore it and its .head file from a copy")
            raise CorruptError(f"{what} belongs to the journal {mark.path} ({seen}), not to {self.path}, which {state}: "
                               f"run where the team's rootkeeper.toml is, or give --config FILE or --journal {mark.path}")
        import itertools

        with open(self.path, "rb") as handle:  # only the lines up to the record the mark names
            lines = [line.rstrip(b"\r\n") for line in itertools.islice(handle, mark.seq)]
        found = _seq_and_hash(lines[mark.seq - 1]) if len(lines) >= mark.seq else None
        if found != (mark.seq, mark.hash):
            raise CorruptError(f"journal {self.path} lacks record {mark.seq} as {what} saw it last "
                               f"({'it has ' + str(len(lines)) + ' records' if len(lines) < mark.seq else 'it differs'}): "
                               "the journal was cut or rewritten; see 'rootkeeper journal verify', and restore it and "
                               "its .head file from a copy")

    def _first_write_interrupted(self) -> bool:
        """A command killed after writing the stores and before its records (the first ones of this journal):
        its pending marker names a file that now holds exactly what it wrote. The next write records it."""
        try:
            marker = json.loads(self.pending_path.read_bytes())
            files = marker["files"]
            for entry in files:
                data = Path(entry["path"]).read_bytes()
                if entry["after"] is not None and fsutil.digest(data) == entry["after"]:
                    return True
        except (OSError, ValueError, KeyError, TypeError):
            return False
        return False

    def checked(self) -> tuple[bytes, int, str]:
        """The journal's bytes and its last (seq, hash), after verifying the whole chain and the
        head file; refuses to go on from a journal that does not verify."""
        existing = self._read_bytes()
        result = Verification()
        self._verify_lines(existing.splitlines(), result)
        if result.problems:
            raise CorruptError(
                f"journal {self.path} does not verify ({result.problems[0]}"
                f"{f'; {len(result.problems) - 1} more' if len(result.problems) > 1 else ''}): nothing was "
                "changed; see 'rootkeeper journal verify', and restore the journal and its .head file from a copy"
            )
        return existing, result.count, result.head

    def write(self, existing: bytes, seq: int, prev: str, events: list[dict]) -> list[tuple[int, str]]:
        """Append records for ``events`` after the verified ``existing`` (last record ``seq``, ``prev``); the
        caller holds the journal's lock (``transaction``)."""
        stamped = []
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        who = actor()
        new_lines = []
        for event in events:
            seq += 1
            record = {"seq": seq, "time": now, "actor": who, **event, "prev": prev}
            record["hash"] = record_hash(record)
            prev = record["hash"]
            new_lines.append(canonical(record))
            stamped.append((seq, prev))
        body = existing
        if body and not body.endswith(b"\n"):
            body += b"\n"
        body += b"\n".join(new_lines) + b"\n"
        if not existing.strip() and not self.head_path.exists():
            # A new journal gets its head first ("0", the genesis): a command killed between the journal's
            # first write and its head's leaves a journal one step ahead of its head (a note), never a
            # journal without a head (which no command could go on from).
            fsutil.atomic_write(self.head_path, f"0 {GENESIS}\n".encode())
        fsutil.atomic_write(self.path, body)
        fsutil.atomic_write(self.head_path, f"{seq} {prev}\n".encode())
        return stamped

    def verify_chain(self, anchors: list[str] | None = None) -> Verification:
        """The chain, the head file and ``anchors`` (a change left half-done is the transaction's to find:
        ``transaction.verify``)."""
        result = Verification()
        hashes = self._verify_lines(self.lines(), result)
        for anchor in anchors or []:
            seq, want = parse_anchor(anchor)
            if not hashes.get(seq, "").startswith(want):
                result.problems.append(
                    f"anchor {seq}: record {seq} is {'missing' if seq not in hashes else 'different'}: "
                    "the journal was altered or cut after that record was written"
                )
        return result

    def _verify_lines(self, lines: list[bytes], result: Verification) -> dict[int, str]:
        """Check the chain and the head file into ``result``; returns each record's hash by number."""
        prev, expected_seq = GENESIS, 1
        hashes: dict[int, str] = {}
        latest, backwards = "", []  # the latest time seen; records dated before it
        for number, line in enumerate(lines, 1):
            stamp = _TIME.search(line)
            if stamp is not None:
                when = stamp.group(1).decode()
                if when < latest:
                    backwards.append((number, when, latest))
                latest = max(latest, when)
            if not line.strip():
                result.problems.append(f"line {number}: blank line inside the journal")
                continue
            fast = _fast_fields(line)
            if fast is not None:
                seq, stored, link = fast
            else:
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
            if isinstance(seq, int):  # a damaged record's number may be anything JSON holds
                hashes[seq] = stored
            prev, expected_seq = stored, (seq + 1 if isinstance(seq, int) else expected_seq + 1)
            result.count += 1
        result.head = prev or ""
        if backwards:
            number, when, latest = backwards[0]
            more = f" (and {len(backwards) - 1} more)" if len(backwards) > 1 else ""
            result.notes.append(f"line {number} is dated {when}, before a record above it dated {latest}{more}: a "
                                "clock was set back, or records were written on a machine with a wrong clock; "
                                "their order is the chain's, not their dates'")
        self._check_head(result, hashes)
        return hashes

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
        if head_seq == 0 and head_hash == GENESIS and result.count:
            result.notes.append(f"the journal has {result.count} record(s) after its head file's start (a crash "
                                "between the journal's first write and its head's?)")
            return
        if head_seq > result.count or (head_seq and hashes.get(head_seq) != head_hash) \
                or (not head_seq and head_hash != GENESIS):
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
