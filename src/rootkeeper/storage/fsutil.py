"""Atomic, locked file writes that work on POSIX and Windows alike.

A write goes to a temporary file in the target's directory, is flushed and
fsynced, then renamed over the target with ``os.replace`` (atomic on POSIX and
NTFS), and the directory is fsynced where the platform allows it. A crash at
any instant leaves either the old or the new file.

A path that is a symbolic link is resolved once, and the lock, the temporary file
and the rename all happen at its target: a write never replaces the link itself with
a regular file (which would leave the real file, and every other link, stale).

Locking uses a sidecar ``<file>.lock`` created with ``O_CREAT | O_EXCL`` (which
also works on SMB shares, unlike ``flock``) and removed when the write is done.
Writers re-check, under the lock, that the file still has the bytes they read,
so two concurrent commands can never lose each other's changes.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from ..errors import ExistsError, InputError, LockError, NotFoundError
from ..rules.redaction import shown_path

# How long a lock is waited for: the command's setting (ROOTKEEPER_LOCK_WAIT, settings.py), for the
# process, as the locks it holds are the process's.
LOCKING = {"wait": 10.0}


def real(path: Path) -> Path:
    """The file a path names, following symbolic links (also a dangling one, to where it points)."""
    return Path(os.path.realpath(path))


def digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.sha256(data).hexdigest()


MAX_INPUT_BYTES = 256 * 1024 * 1024  # no store, journal or import of this tool comes near it


def read_bytes(path: Path, what: str, *, secret: bool = False, limit: int = MAX_INPUT_BYTES,
               missing: str = "check the path") -> bytes:
    """Read a whole file (at most ``limit`` bytes), with a clear error when it is missing or unreadable.

    ``secret``: the file holds a secret, so its name may be a secret pasted by mistake: not echoed.
    ``missing``: what to do when it does not exist (how such a file is made).
    """
    name = shown_path(path) if secret else str(path)
    try:
        with open(path, "rb") as handle:
            if os.fstat(handle.fileno()).st_size > limit:  # refused before a byte is read
                raise InputError(f"{what} {name} is larger than {limit // (1024 * 1024)} MiB: that is not a file of "
                                 "this kind")
            data = handle.read(limit + 1)  # a pipe or device has no size: at most limit + 1 bytes are read
    except FileNotFoundError:
        raise NotFoundError(f"{what} {name} does not exist: {missing}") from None
    except IsADirectoryError:
        raise NotFoundError(f"{what} {name} is a directory: give the path of the file") from None
    except PermissionError:
        raise NotFoundError(f"{what} {name} cannot be read (permission denied): check its permissions") from None
    except OSError as exc:
        raise NotFoundError(f"{what} {name} cannot be read ({exc.strerror}): check it") from None
    if len(data) > limit:
        raise InputError(f"{what} {name} is larger than {limit // (1024 * 1024)} MiB: that is not a file of this kind")
    return data


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # cannot tell cheaply; assume alive and let the user decide
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


_HELD: dict[Path, int] = {}  # locks this process holds, and how deeply: a holder may lock again


def hostname() -> str:
    """This host's name (as socket.gethostname(), without importing socket on the break-glass path)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


@contextlib.contextmanager
def file_lock(path: Path, wait: float | None = None) -> Iterator[None]:
    """Hold ``<path>.lock`` (beside the link's target) for the duration of the block. Re-entrant within a
    process: a workspace that holds a store's lock from read to write can still call the writers."""
    path = real(path)
    if _HELD.get(path):
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    lock = Path(str(path) + ".lock")
    me = f"{hostname()} {os.getpid()}\n".encode()
    deadline = time.monotonic() + (LOCKING["wait"] if wait is None else wait)
    # The lock appears with its holder already written in it: a candidate file is written first, then
    # hard-linked as the lock (atomic, and refused if the lock exists). Created empty and then written,
    # a lock whose maker was killed in between named no one, and no one could ever break it.
    candidate = lock.with_name(f"{lock.name}.{_host_tag()}.{os.getpid()}.{os.urandom(4).hex()}")
    try:
        fd = os.open(candidate, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileNotFoundError:
        raise NotFoundError(f"directory {lock.parent} does not exist: create it first") from None
    try:
        os.write(fd, me)
    finally:
        os.close(fd)
    try:
        while True:
            try:
                _take(candidate, lock, me)
                break
            except FileExistsError:
                holder = b""
                with contextlib.suppress(OSError):
                    holder = lock.read_bytes()
                parts = holder.decode("utf-8", "replace").split()
                if _dead_holder(parts) or _empty_leftover(lock, holder):
                    # Left behind by a process of this host that has died: break it.
                    with contextlib.suppress(FileNotFoundError):
                        lock.unlink()
                    continue
                if time.monotonic() >= deadline:
                    who = " ".join(parts) or "unknown"
                    raise LockError(
                        f"{path} is locked by another rootkeeper ({who}); wait for it to finish, "
                        f"or delete {lock} if that process is gone"
                    ) from None
                time.sleep(0.05)
    finally:
        with contextlib.suppress(FileNotFoundError):
            candidate.unlink()
    _sweep_candidates(lock)
    _HELD[path] = 1
    try:
        yield
    finally:
        _HELD.pop(path, None)
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()


def _take(candidate: Path, lock: Path, me: bytes) -> None:
    """Make ``candidate`` the lock (FileExistsError if there is one). Where hard links are not
    supported (FAT on a USB drive), the lock is created exclusively and written at once."""
    try:
        os.link(candidate, lock)
        return
    except FileExistsError:
        raise
    except OSError:
        pass
    fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, me)
    finally:
        os.close(fd)


# Where hard links are refused (FAT), the lock is created and then written: a locker killed in between
# leaves an empty lock. Written microseconds after it is made, a lock still empty this long after is a
# leftover, broken like a dead holder's (FAT keeps times to 2 seconds).
EMPTY_LOCK_GRACE = 10.0


def _empty_leftover(lock: Path, holder: bytes) -> bool:
    if holder.strip():
        return False
    try:
        age = time.time() - lock.stat().st_mtime
    except FileNotFoundError:
        return False
    return age > EMPTY_LOCK_GRACE


def _dead_holder(parts: list[str]) -> bool:
    """A lock (or candidate) naming a process of this host that is not running."""
    return len(parts) == 2 and parts[0] == hostname() and parts[1].isascii() and parts[1].isdigit() and not _pid_alive(int(parts[1]))


def _host_tag() -> str:
    return hashlib.sha256(hostname().encode()).hexdigest()[:8]


def _sweep_candidates(lock: Path) -> None:
    """Remove the candidate files of this host's lockers that were killed before removing their own
    (their name says whose: ``<lock>.<host>.<pid>.<random>``)."""
    import glob

    for stale in lock.parent.glob(f"{glob.escape(lock.name)}.{_host_tag()}.*.*"):
        pid = stale.name[len(lock.name):].split(".")[2]
        if pid.isascii() and pid.isdigit() and not _pid_alive(int(pid)):
            with contextlib.suppress(OSError):
                stale.unlink()


def flush(fd: int) -> None:
    """Make a file's bytes durable: fsync, and on macOS F_FULLFSYNC (its fsync leaves them in the drive's cache,
    which a USB stick pulled out right after loses)."""
    if sys.platform == "darwin":
        import fcntl

        try:
            fcntl.fcntl(fd, fcntl.F_FULLFSYNC)
            return
        except (AttributeError, OSError):  # a file system without it (some network shares): fsync then
            pass
    os.fsync(fd)


def _fsync_dir(directory: Path) -> None:
    """Flush a directory's entry for a file just renamed into it. Some network and FUSE file systems refuse
    a directory fsync (EINVAL, ENOTSUP, EBADF, EACCES, EROFS): the rename has happened by then, and on those
    the server orders it, so the refusal is not a failed write."""
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_FSYNC:
            raise
    finally:
        os.close(fd)


_NO_DIR_FSYNC = {errno.EINVAL, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EBADF, errno.EACCES, errno.EROFS, errno.EPERM}


def atomic_write(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Replace ``path`` (a link's target) with ``data`` atomically. Callers hold the lock, so any temporary
    file of this name is a leftover of a writer that was killed: it is removed first."""
    path = real(path)
    directory = path.parent if str(path.parent) else Path(".")
    import glob

    for stale in directory.glob(f".{glob.escape(path.name)}.*.tmp"):
        with contextlib.suppress(OSError):
            stale.unlink()
    tmp = directory / f".{path.name}.{os.urandom(6).hex()}.tmp"
    with contextlib.suppress(FileNotFoundError):
        mode = stat.S_IMODE(path.stat().st_mode)  # keep the permissions someone chose for the file
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_BINARY", 0), mode)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            flush(fd)
            if os.name == "posix":
                os.fchmod(fd, mode)  # os.open's mode is filtered by the umask
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def write_new(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Create ``path`` atomically; refuse if it exists (checked under the lock)."""
    path = real(path)
    with file_lock(path):
        if path.exists():
            raise ExistsError(f"{path} already exists: refusing to overwrite it; choose another path")
        atomic_write(path, data, mode=mode)


def replace_all(changes: list[tuple]) -> None:
    """Replace several files (``(path, data, bytes read or None)``, optionally with the mode of a new file):
    every lock is taken and every file checked before any is written. A write that fails (a full or
    read-only disk) puts back what was written before it: every file as it was, or ``RolledBack`` is not
    raised and the caller knows some file may hold the new bytes."""
    changes = [(real(change[0]), *change[1:]) for change in changes]
    with contextlib.ExitStack() as stack:
        for path, *_rest in changes:
            stack.enter_context(file_lock(path))
        for path, _data, expected, *_mode in changes:
            try:
                current = Path(path).read_bytes()
            except FileNotFoundError:
                current = None
            if digest(current) != digest(expected):
                raise LockError(
                    f"{path} changed while this command ran (another rootkeeper or a sync client?); "
                    "nothing was written: run the command again"
                )
        done = []
        try:
            for path, data, expected, *mode in changes:
                atomic_write(path, data, **({"mode": mode[0]} if mode else {}))
                done.append((path, expected))
        except OSError as exc:
            try:
                for path, expected in reversed(done):
                    if expected is None:
                        Path(path).unlink()
                    else:
                        atomic_write(path, expected)
            except OSError:
                raise exc from None  # not put back: the caller's journal records what was written
            raise RolledBack(exc) from None


class RolledBack(OSError):
    """A write failed and every file written before it was put back: nothing changed."""

    def __init__(self, error: OSError) -> None:
        super().__init__(error.errno, error.strerror, error.filename)
        self.error = error


class StoredFile:
    """A file this command read and may write back: checked replace, alone or with others.

    Subclasses set ``path`` and ``_original`` (the bytes read) and give ``payload()``.
    """

    path: Path
    _original: bytes | None

    def payload(self) -> bytes:
        raise NotImplementedError

    @property
    def fingerprint(self) -> str | None:
        """SHA-256 (hex) of the bytes read: what ``sha256sum`` prints for that copy of the file."""
        return digest(self._original)

    def prepare(self) -> tuple[Path, bytes, bytes | None]:
        """(path, new bytes, bytes read) for ``replace_all``; call ``committed`` after."""
        return self.path, self.payload(), self._original

    def committed(self, data: bytes) -> None:
        self._original = data
