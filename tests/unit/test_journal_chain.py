"""The journal's hash chain, checked by recomputing SHA-256 here, and what verify says of each tampering."""

from __future__ import annotations

import hashlib
import json

import pytest

from rootkeeper.errors import CorruptError, InputError
from rootkeeper.storage import transaction
from rootkeeper.storage.journal import GENESIS, Journal


def canonical_hash(record: dict) -> str:
    body = {k: v for k, v in record.items() if k != "hash"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()


@pytest.fixture
def journal(tmp_path):
    j = Journal(tmp_path / "journal.jsonl")
    transaction.append(j, [{"event": "code", "account_id": "111122223333", "reason": "drill ü"}])
    transaction.append(j, [{"event": "rotate", "account_id": "111122223333"}, {"event": "retire", "account_id": "444455556666"}])
    return j


def lines(j: Journal) -> list[bytes]:
    return j.path.read_bytes().splitlines()


def test_chain_is_sha256_of_canonical_json_linked_to_the_previous(journal):
    records = [json.loads(line) for line in lines(journal)]
    assert [r["seq"] for r in records] == [1, 2, 3]
    prev = GENESIS
    for record in records:
        assert record["prev"] == prev and record["hash"] == canonical_hash(record)
        prev = record["hash"]
    assert journal.head_path.read_text() == f"3 {prev}\n"
    result = transaction.verify(journal, [f"2:{records[1]['hash']}"])
    assert result.ok and result.count == 3 and result.head == prev


def test_append_returns_the_stamps_it_wrote(journal):
    stamps = transaction.append(journal, [{"event": "code"}])
    last = json.loads(lines(journal)[-1])
    assert stamps == [(4, last["hash"])]


def rewrite(j: Journal, new_lines: list[bytes]) -> None:
    j.path.write_bytes(b"\n".join(new_lines) + b"\n")


def test_edit_is_found(journal):
    body = lines(journal)
    body[1] = body[1].replace(b"rotate", b"rotaTE")
    rewrite(journal, body)
    assert any("edited" in p for p in transaction.verify(journal).problems)


def test_removal_and_reordering_are_found(journal):
    body = lines(journal)
    rewrite(journal, [body[0], body[2]])
    assert any("removed, inserted or reordered" in p for p in transaction.verify(journal).problems)
    rewrite(journal, [body[1], body[0], body[2]])
    assert not transaction.verify(journal).ok


def test_truncation_is_found_by_the_head_file(journal):
    rewrite(journal, lines(journal)[:2])
    assert any("removed from the end" in p for p in transaction.verify(journal).problems)


def test_anchor_catches_a_rewritten_chain(journal):
    first = json.loads(lines(journal)[0])
    # Someone rewrites the whole chain consistently (head file included): only an anchor kept elsewhere notices.
    forged = dict(first, reason="something else")
    forged["hash"] = canonical_hash(forged)
    rewrite(journal, [json.dumps(forged, sort_keys=True, separators=(",", ":")).encode()])
    journal.head_path.write_text(f"1 {forged['hash']}\n")
    assert transaction.verify(journal).ok
    assert not transaction.verify(journal, [f"1:{first['hash']}"]).ok


def test_bad_anchor_and_damaged_tail(journal):
    with pytest.raises(InputError):
        transaction.verify(journal, ["seventeen"])
    journal.path.write_bytes(journal.path.read_bytes() + b"{not json\n")
    with pytest.raises(CorruptError, match="does not verify"):
        transaction.ready(journal)


@pytest.mark.parametrize("number", [[2], {"n": 2}, "2", None])
def test_a_record_numbered_with_something_else_than_a_number_is_a_problem_never_a_crash(journal, number):
    """Any JSON value where a record's number belongs (a list, an object...) is reported, never an unexpected
    error: verify reads journals written by hand or by an attacker."""
    content = lines(journal)
    record = json.loads(content[1])
    record["seq"] = number
    record["hash"] = canonical_hash(record)
    content[1] = json.dumps(record).encode()
    journal.path.write_bytes(b"\n".join(content) + b"\n")
    result = transaction.verify(journal)
    assert not result.ok and result.count == 3
    assert any(f"record number {number}, expected 2" in problem for problem in result.problems), result.problems
    with pytest.raises(CorruptError, match="does not verify"):
        transaction.append(journal, [{"event": "code"}])


def test_a_record_reformatted_but_unchanged_still_verifies_and_an_edit_never_does(journal):
    """verify hashes a line's bytes when it is canonical, and its parsed content otherwise."""
    content = lines(journal)
    record = json.loads(content[1])
    content[1] = json.dumps(record, indent=None, separators=(", ", ": ")).encode()  # same content, other bytes
    journal.path.write_bytes(b"\n".join(content) + b"\n")
    assert transaction.verify(journal).ok
    for edit in (b'"rotate"', b'"111122223333"'):
        tampered = list(content)
        tampered[1] = tampered[1].replace(edit, edit[:-2] + b'X"', 1)
        journal.path.write_bytes(b"\n".join(tampered) + b"\n")
        assert not transaction.verify(journal).ok
    canonical = lines(journal)
    canonical[0] = canonical[0].replace(b'"drill \xc3\xbc"', b'"drill u"')  # the canonical line edited in place
    journal.path.write_bytes(b"\n".join(canonical) + b"\n")
    assert any("does not match its hash" in p for p in transaction.verify(journal).problems)


def test_writers_refuse_a_journal_that_does_not_verify_and_leave_it_as_it_was(journal):
    """Trust issue item 11, in-process: a rechained journal whose head no longer matches is never extended."""
    content = lines(journal)
    journal.path.write_bytes(b"\n".join(content[:2]) + b"\n")  # the last record cut off
    before = (journal.path.read_bytes(), journal.head_path.read_bytes())
    with pytest.raises(CorruptError, match="does not verify"):
        transaction.append(journal, [{"event": "code"}])
    assert (journal.path.read_bytes(), journal.head_path.read_bytes()) == before


def test_a_commit_that_fails_after_writing_one_file_puts_it_back_and_records_nothing(tmp_path, monkeypatch):
    """Journal.commit: a failure between two replaced files (a full disk) puts the first back: every file as
    it was, no record, no marker."""
    from rootkeeper.storage import fsutil

    journal = Journal(tmp_path / "journal.jsonl")
    first, second, third = tmp_path / "a", tmp_path / "b", tmp_path / "new"
    first.write_bytes(b"a1")
    second.write_bytes(b"b1")
    real = fsutil.atomic_write

    def failing(path, data, **kwargs):
        if path.name == "b":
            raise OSError(28, "No space left on device")
        return real(path, data, **kwargs)

    monkeypatch.setattr(fsutil, "atomic_write", failing)
    with pytest.raises(OSError, match="No space left"):
        transaction.commit(journal, [(first, b"a2", b"a1"), (third, b"c", None, 0o644), (second, b"b2", b"b1")],
                       [{"event": "retire"}])
    monkeypatch.setattr(fsutil, "atomic_write", real)
    assert first.read_bytes() == b"a1" and not third.exists() and second.read_bytes() == b"b1"
    assert journal.records() == [] and not journal.pending_path.exists()


def test_a_commit_that_cannot_even_put_back_records_what_it_wrote(tmp_path, monkeypatch):
    from rootkeeper.storage import fsutil

    journal = Journal(tmp_path / "journal.jsonl")
    first, second = tmp_path / "a", tmp_path / "b"
    first.write_bytes(b"a1")
    second.write_bytes(b"b1")
    real = fsutil.atomic_write

    def failing(path, data, **kwargs):
        if path.name == "b" or data == b"a1":  # the second file, and putting the first back
            raise OSError(28, "No space left on device")
        return real(path, data, **kwargs)

    monkeypatch.setattr(fsutil, "atomic_write", failing)
    with pytest.raises(OSError):
        transaction.commit(journal, [(first, b"a2", b"a1"), (second, b"b2", b"b1")], [{"event": "retire"}])
    monkeypatch.setattr(fsutil, "atomic_write", real)
    (record,) = journal.records()
    assert record["event"] == "retire" and record["written"] == [str(first)] and record["not_written"] == [str(second)]
    assert not journal.pending_path.exists() and transaction.verify(journal).ok


def test_a_marker_left_after_its_records_were_appended_adds_no_second_record(tmp_path, monkeypatch):
    """Killed between appending the records and removing the pending marker: verify does not call the change
    unrecorded, and the next command does not record it again."""
    journal = Journal(tmp_path / "journal.jsonl")
    transaction.append(journal, [{"event": "init"}])
    store = tmp_path / "store"
    store.write_bytes(b"old")
    real_unlink = type(journal.pending_path).unlink

    def kept(self, *args, **kwargs):  # the kill: the marker is never removed
        if self == journal.pending_path:
            return None
        return real_unlink(self, *args, **kwargs)

    monkeypatch.setattr(type(journal.pending_path), "unlink", kept)
    transaction.commit(journal, [(store, b"new", b"old")], [{"event": "rotate", "account_id": "111122223333"}])
    monkeypatch.undo()
    assert journal.pending_path.exists()
    result = transaction.verify(journal)
    assert result.ok, result.problems
    assert any("after recording its change" in n for n in result.notes)
    transaction.append(journal, [{"event": "code"}])
    assert [r["event"] for r in journal.records()] == ["init", "rotate", "code"]
    assert not journal.pending_path.exists()


def test_records_dated_before_the_record_above_them_are_noted(tmp_path, monkeypatch):
    import rootkeeper.storage.journal as module

    journal = Journal(tmp_path / "journal.jsonl")
    for stamp in ("2026-11-30T10:00:00Z", "2020-01-01T00:00:00Z", "2026-12-01T10:00:00Z"):
        class Clock(module.datetime):
            @classmethod
            def now(cls, tz=None, _stamp=stamp):
                return module.datetime.fromisoformat(_stamp.replace("Z", "+00:00"))

        monkeypatch.setattr(module, "datetime", Clock)
        transaction.append(journal, [{"event": "code"}])
        monkeypatch.undo()
    result = transaction.verify(journal)
    assert result.ok
    assert any("line 2 is dated 2020-01-01T00:00:00Z, before a record above it dated 2026-11-30T10:00:00Z" in n
               for n in result.notes), result.notes


def test_a_journal_killed_between_its_first_write_and_its_head_goes_on(tmp_path, monkeypatch):
    """The very first record: its head file is written first, so a kill between the two leaves a journal one
    record ahead of its head (a note), never a journal that no command can extend."""
    from rootkeeper.storage import fsutil

    journal = Journal(tmp_path / "journal.jsonl")
    real, writes = fsutil.atomic_write, []

    def killed(path, data, **kwargs):
        writes.append(path.name)
        if len(writes) == 3:  # head (genesis), journal, then the head again: killed there
            raise KeyboardInterrupt
        return real(path, data, **kwargs)

    monkeypatch.setattr(fsutil, "atomic_write", killed)
    with pytest.raises(KeyboardInterrupt):
        transaction.append(journal, [{"event": "init"}])
    monkeypatch.undo()
    assert writes == ["journal.jsonl.head", "journal.jsonl", "journal.jsonl.head"]
    result = transaction.verify(journal)
    assert result.ok and any("after its head file's start" in n for n in result.notes), result
    transaction.append(journal, [{"event": "code"}])
    assert transaction.verify(journal).ok and not transaction.verify(journal).notes


def test_a_commit_refused_before_any_write_leaves_every_file_as_it_was(tmp_path):
    from rootkeeper.errors import LockError

    journal = Journal(tmp_path / "journal.jsonl")
    target = tmp_path / "a"
    target.write_bytes(b"changed by someone else")
    with pytest.raises(LockError):
        transaction.commit(journal, [(target, b"new", b"what this command read")], [{"event": "rotate"}])
    assert target.read_bytes() == b"changed by someone else"
    assert not journal.path.exists() and not journal.pending_path.exists()
