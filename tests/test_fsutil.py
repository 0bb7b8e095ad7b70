"""Atomic writes and optimistic locking, at the library level."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from rootkeeper.errors import ExistsError, LockError
from rootkeeper.storage import fsutil


def test_failed_replace_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "f"
    target.write_bytes(b"old")

    def boom(*_a):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        fsutil.atomic_write(target, b"new")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_a_replace_refuses_a_file_changed_meanwhile(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"v1")
    read = target.read_bytes()
    target.write_bytes(b"v2 by someone else")
    with pytest.raises(LockError):
        fsutil.replace_all([(target, b"v3", read)])
    assert target.read_bytes() == b"v2 by someone else"
    fsutil.replace_all([(target, b"v3", b"v2 by someone else")])
    assert target.read_bytes() == b"v3"
    assert not (tmp_path / "f.lock").exists()  # KeePass 2's lock name is KeePass's


def test_write_new_refuses_existing(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"x")
    with pytest.raises(ExistsError):
        fsutil.write_new(target, b"y")
    assert target.read_bytes() == b"x"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_new_files_are_private(tmp_path):
    fsutil.write_new(tmp_path / "f", b"x")
    assert (tmp_path / "f").stat().st_mode & 0o077 == 0


def test_replace_all_writes_nothing_if_one_file_changed(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"a1")
    b.write_bytes(b"b1")
    b.write_bytes(b"b2 by someone else")
    with pytest.raises(LockError):
        fsutil.replace_all([(a, b"a-new", b"a1"), (b, b"b-new", b"b1")])
    assert a.read_bytes() == b"a1" and b.read_bytes() == b"b2 by someone else"
    fsutil.replace_all([(a, b"a-new", b"a1"), (b, b"b-new", b"b2 by someone else")])
    assert a.read_bytes() == b"a-new" and b.read_bytes() == b"b-new"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".a.rootkeeper-lock", ".b.rootkeeper-lock", "a", "b"]
    assert not (tmp_path / ".a.rootkeeper-lock").read_bytes()  # released: it names no one


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_replacing_keeps_the_files_permissions(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"x")
    target.chmod(0o640)
    fsutil.replace_all([(target, b"y", b"x")])
    assert target.stat().st_mode & 0o777 == 0o640


HOLDER = """
import os, sys, time
from pathlib import Path
from rootkeeper.storage import fsutil

if sys.argv[2] == "stuck-naming":  # killed while it writes its name into the sidecar
    real_write = os.write

    def stuck(fd, data):
        print("holding", flush=True)
        time.sleep(60)

    os.write = stuck
if sys.argv[2] == "no-links":  # FAT: no hard links
    def no_links(*args, **kwargs):
        raise PermissionError(1, "Operation not permitted")

    os.link = no_links
with fsutil.file_lock(Path(sys.argv[1]), wait=5):
    print("holding", flush=True)
    time.sleep(60)
"""


def hold(target, how: str = "plain"):
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(target), how], stdout=subprocess.PIPE)
    assert holder.stdout.readline().strip() == b"holding"
    return holder


@pytest.mark.parametrize("how", ["plain", "stuck-naming", "no-links"])
def test_a_holder_killed_at_any_moment_leaves_no_lock_behind(tmp_path, how):
    """The operating system holds the lock for its holder's lifetime: killed while holding it, while writing
    its name (which once left an empty lock no one could break), or where hard links are refused (FAT), the
    next taker goes ahead at once; no host name, pid or grace period is involved."""
    target = tmp_path / "store.age"
    target.write_bytes(b"x")
    holder = hold(target, how)
    with pytest.raises(LockError, match="locked by another rootkeeper"):
        with fsutil.file_lock(target, wait=0.2):
            pass
    holder.kill()
    holder.wait()
    with fsutil.file_lock(target, wait=0.5):
        assert fsutil.lock_holder(target).split()[:3] == [fsutil.hostname(), "pid", str(os.getpid())]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".store.age.rootkeeper-lock", "store.age"]


def test_a_live_holder_is_never_broken_whatever_its_sidecar_says(tmp_path):
    """Lock holders used to be 'hostname pid': a process of a same-named host (WSL2, a container) or in another
    PID namespace looked dead and its live lock was broken. The sidecar now only names the holder: edited to
    name a dead process of this host, or emptied, the lock still holds."""
    target = tmp_path / "store.age"
    target.write_bytes(b"x")
    holder = hold(target)
    try:
        for text in (f"{fsutil.hostname()} 999999999\n", ""):
            (tmp_path / ".store.age.rootkeeper-lock").write_text(text)
            with pytest.raises(LockError):
                with fsutil.file_lock(target, wait=0.2):
                    pass
    finally:
        holder.kill()
        holder.wait()


def test_a_waiter_is_told_who_holds_the_lock(tmp_path):
    target = tmp_path / "store.age"
    target.write_bytes(b"x")
    holder = hold(target)
    try:
        with pytest.raises(LockError) as refused:
            with fsutil.file_lock(target, wait=0.1):
                pass
        assert f"pid {holder.pid} since " in refused.value.message
    finally:
        holder.kill()
        holder.wait()


@pytest.mark.parametrize("refusal", [errno.EINVAL, errno.ENOTSUP, errno.EACCES])
def test_a_directory_fsync_refused_by_a_network_mount_is_no_failure_once_the_rename_is_done(tmp_path, monkeypatch, refusal):
    """Some SMB, NFS and FUSE mounts refuse fsync on a directory: raised after the rename, it used to fail a
    write that had happened (init then left its vault, and a re-run said 'already exists')."""
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(refusal, os.strerror(refusal))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    target = tmp_path / "vault.kdbx"
    fsutil.write_new(target, b"the new vault")
    assert target.read_bytes() == b"the new vault"


def test_a_directory_fsync_that_fails_for_another_reason_still_fails(tmp_path, monkeypatch):
    real_fsync = os.fsync

    def fsync(fd):
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="Input/output"):
        fsutil.atomic_write(tmp_path / "f", b"x")


def sharing_violation(times: int, real):
    """``real``, failing ``times`` times first as Windows does while another process has the file open."""
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= times:
            error = PermissionError(13, "The process cannot access the file because it is being used by another process")
            error.winerror = 32
            raise error
        return real(*args, **kwargs)

    return flaky, calls


def test_a_replace_refused_for_a_moment_by_another_process_holding_the_file_is_retried(tmp_path, monkeypatch):
    """Windows refuses to replace a file that a waiter, a reader, an antivirus or a sync client has open: the
    refusal passes in moments, so a commit retries instead of failing intermittently."""
    target = tmp_path / "vault.kdbx"
    target.write_bytes(b"old")
    flaky, calls = sharing_violation(3, os.replace)
    monkeypatch.setattr(os, "replace", flaky)
    fsutil.atomic_write(target, b"new")
    assert target.read_bytes() == b"new" and calls["n"] == 4
    denied, _ = sharing_violation(10 ** 6, os.replace)  # busy for good: an error after the wait, nothing changed
    monkeypatch.setattr(os, "replace", denied)
    monkeypatch.setattr(fsutil, "SHARING_WAIT", 0.2)
    with pytest.raises(PermissionError):
        fsutil.atomic_write(target, b"newer")
    assert target.read_bytes() == b"new"


def test_a_marker_that_cannot_be_removed_after_the_record_is_no_failure_and_no_duplicate(tmp_path, monkeypatch):
    """Reproduced on Windows: the pending marker's removal refused after the records were written failed the
    command (exit 2 after the data were written), and the next writer appended a false 'interrupted' record."""
    from rootkeeper.storage import transaction
    from rootkeeper.storage.journal import Journal

    journal = Journal(tmp_path / "journal.jsonl")
    store = tmp_path / "seeds.age"
    real_unlink = Path.unlink

    def refused(self, missing_ok=False):
        if self.name.endswith(".pending"):
            error = PermissionError(13, "in use")
            error.winerror = 32
            raise error
        return real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(fsutil, "SHARING_WAIT", 0.1)
    monkeypatch.setattr(Path, "unlink", refused)
    transaction.commit(journal, [(store, b"seeds v1", None)], [{"event": "seeds.import", "count": 1}])
    assert journal.pending_path.exists() and store.read_bytes() == b"seeds v1"
    monkeypatch.setattr(Path, "unlink", real_unlink)
    transaction.append(journal, [{"event": "code", "account_id": "111122223333"}])
    assert [r["event"] for r in journal.records()] == ["seeds.import", "code"]
    assert not journal.pending_path.exists()


def test_unlock_shows_who_holds_a_lock_and_for_how_long_and_clears_what_a_killed_holder_left(home):
    """The lock ends with its holder; what a person needs is who holds one now (a command waiting for someone,
    or hung), since when, and no misleading name left by a holder that was killed."""
    import json

    import jsonschema
    from conftest import lock_held

    free = home.rk("unlock", creds=False)
    assert free.returncode == 0, free.err
    assert "0 held" in free.err
    with lock_held(home.seeds) as holder:
        held = home.rk("unlock", "--json", creds=False)
        assert held.returncode == 1, held.err
        document = json.loads(held.out)
        schema = json.loads((Path(__file__).resolve().parents[1] / "schemas" / "locks.schema.json").read_text())
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
        (seeds,) = [lock for lock in document["locks"] if lock["held"]]
        assert seeds["file"] == str(home.seeds) and f"pid {holder.pid} since " in seeds["holder"]
        assert "machine " in seeds["holder"] and "boot " in seeds["holder"] and "token " in seeds["holder"]
        text = home.rk("unlock", creds=False)
        assert f"held  {home.seeds}" in text.out and "(for " in text.out and "never delete a lock file" in text.err
    # killed while holding (lock_held kills it): the operating system released the lock, its name stayed
    sidecar = fsutil.lock_path(home.seeds)
    assert f"pid {holder.pid}" in sidecar.read_text()
    after = home.rk("unlock", creds=False)
    assert after.returncode == 0 and "cleared the name of a holder that ended" in after.out
    assert sidecar.read_text() == ""
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
            check=True)


def test_a_lock_that_cannot_be_tried_is_never_reported_free(tmp_path, monkeypatch):
    """A sidecar this user cannot open (another user's, a share's permissions): unknown, not free."""
    target = tmp_path / "store.age"
    target.write_bytes(b"x")
    with fsutil.file_lock(target):
        pass
    sidecar = fsutil.lock_path(target)
    real_open = os.open

    def denied(path, *args, **kwargs):
        if str(path) == str(sidecar):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(os, "open", denied)
    state = fsutil.lock_state(sidecar)
    assert state.held is None and "Permission denied" in state.holder
