"""Atomic writes and optimistic locking, at the library level."""

from __future__ import annotations

import errno
import os
import stat

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
    assert not (tmp_path / "f.lock").exists()


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
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_replacing_keeps_the_files_permissions(tmp_path):
    target = tmp_path / "f"
    target.write_bytes(b"x")
    target.chmod(0o640)
    fsutil.replace_all([(target, b"y", b"x")])
    assert target.stat().st_mode & 0o777 == 0o640


def test_a_locker_killed_while_writing_its_name_blocks_no_one(tmp_path):
    """Found by the crash harness in CI: a rootkeeper killed between creating the lock file and writing its
    holder into it left an empty lock that named no one, so no one could break it ("locked by another
    rootkeeper (unknown)"). The lock now appears with its holder in it (a candidate file, hard-linked)."""
    import subprocess
    import sys
    import textwrap

    target = tmp_path / "store.age"
    target.write_bytes(b"x")
    code = textwrap.dedent(f"""
        import os, time
        from pathlib import Path
        from rootkeeper.storage import fsutil

        def stuck(fd, data):
            print("writing", flush=True)
            time.sleep(60)

        os.write = stuck
        with fsutil.file_lock(Path({str(target)!r})):
            pass
    """)
    locker = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
    assert locker.stdout.readline().strip() == b"writing"
    locker.kill()
    locker.wait()
    with fsutil.file_lock(target, wait=0.3):  # before the fix: LockError, an empty lock names no one
        assert (tmp_path / "store.age.lock").read_text().split()[1] == str(os.getpid())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["store.age"]  # the killed one's candidate swept


def test_an_empty_lock_left_where_hard_links_are_refused_is_broken_once_stale(tmp_path):
    """FAT refuses hard links: the lock is created, then written. A locker killed in between leaves an empty
    lock. Run with link() failing as on vfat (EPERM): a fresh empty lock is waited for, a stale one broken."""
    import subprocess
    import sys
    import textwrap

    target = tmp_path / "store.age"
    target.write_bytes(b"x")
    lock = tmp_path / "store.age.lock"
    lock.write_bytes(b"")
    old = os.stat(lock).st_mtime - 60
    os.utime(lock, (old, old))
    code = textwrap.dedent(f"""
        import errno, os
        from pathlib import Path

        def no_links(*args, **kwargs):
            raise PermissionError(errno.EPERM, "Operation not permitted")

        os.link = no_links
        from rootkeeper.storage import fsutil
        with fsutil.file_lock(Path({str(target)!r}), wait=0.5):
            print(open({str(lock)!r}).read().split()[1] == str(os.getpid()))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "True", done.stderr
    assert not lock.exists()
    lock.write_bytes(b"")  # fresh: its maker may be writing it right now
    fresh = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert fresh.returncode != 0 and "locked by another rootkeeper" in fresh.stderr


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
