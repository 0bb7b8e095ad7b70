"""Atomic, locked file writes that work on POSIX and Windows alike.

A write goes to a temporary file in the target's directory, is flushed and
fsynced, then renamed over the target with ``os.replace`` (atomic on POSIX and
NTFS), and the directory is fsynced where the platform allows it. A crash at
any instant leaves either the old or the new file.

A path that is a symbolic link is resolved once, and the lock, the temporary file
and the rename all happen at its target: a write never replaces the link itself with
a regular file (which would leave the real file, and every other link, stale).

Locking is the operating system's, on a hidden sidecar ``.<file>.rootkeeper-lock`` (fcntl record locks on POSIX,
which SMB and NFS shares pass to their server; ``msvcrt.locking`` on Windows): held for as long as its holder
lives, so a killed holder leaves nothing to break. Writers re-check, under the lock, that the file still has the
bytes they read, so two concurrent commands can never lose each other's changes. On Windows a replace or a
removal refused because another process has the file open is retried for a moment.
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
from dataclasses import dataclass
from pathlib import Path

from ..errors import ExistsError, InputError, LockError, NotFoundError
from ..rules.redaction import shown_path

# How long a lock is waited for: the command's setting (ROOTKEEPER_LOCK_WAIT, settings.py), for the
# process, as the locks it holds are the process's.
LOCKING = {"wait": 10.0}


def real(path: Path) -> Path:
    """The file a path names, following symbolic links (also a dangling one, to where it points); on Windows a
    path past 260 characters in the form that has no such limit (else "directory does not exist")."""
    if os.name == "nt":
        return Path(long_path(os.path.realpath(path)))
    return Path(os.path.realpath(path))


def long_path(path: str) -> str:
    """A Windows absolute path of 248 characters or more (the limit of a directory's name, MAX_PATH less 12) in
    the ``\\\\?\\`` form, which Windows takes up to 32,767 characters without the LongPathsEnabled policy."""
    if len(path) < 248 or path.startswith("\\\\?\\"):
        return path
    if path.startswith("\\\\"):  # \\server\share\... -> \\?\UNC\server\share\...
        return "\\\\?\\UNC\\" + path[2:]
    return "\\\\?\\" + path


def relative(target: Path, base: Path) -> str:
    """``target`` as a path relative to the directory ``base`` (with '/', which Windows reads too), for a file that
    others read on other machines and systems (the configuration, a pending marker on a share); absolute where no
    relative path leads that stays inside one top folder (another drive on Windows; /mnt/share seen from /home)."""
    target, base = real(target), real(base)
    try:
        common = os.path.commonpath([target, base])
        if os.path.dirname(common) == common:  # only the root in common: absolute says more, on every machine
            return str(target)
        return Path(os.path.relpath(target, base)).as_posix()
    except ValueError:
        return str(target)


def portable(text: str) -> str:
    """A relative path written on any system, in this system's terms: Windows reads '/', POSIX is given '/' for
    a '\\' (a configuration written by hand on Windows)."""
    if os.name != "nt" and "\\" in text and not os.path.isabs(text):
        return text.replace("\\", "/")
    return text


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
        with _reading(path) as handle:
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
        from .syncfolder import placeholder

        if placeholder(path):  # a sync client's online-only file, and no client or network to fetch it
            raise NotFoundError(f"{what} {name} cannot be read ({exc.strerror}): {placeholder(path)}") from None
        raise NotFoundError(f"{what} {name} cannot be read ({exc.strerror}): check it") from None
    if len(data) > limit:
        raise InputError(f"{what} {name} is larger than {limit // (1024 * 1024)} MiB: that is not a file of this kind")
    return data


def _reading(path: Path):
    """A file open for reading; on Windows one that others may still replace or delete meanwhile."""
    if os.name == "nt":
        from .winacl import open_shared

        return open_shared(path)
    return open(path, "rb")


def read_back(path: Path, what: str) -> bytes:
    """The bytes of a file just written as the device holds them, not the system's cache of them (a failing USB
    stick passes a read that the cache answers): on Linux the file's cached pages are dropped first (they are
    clean once fsynced, POSIX_FADV_DONTNEED), on macOS the read bypasses the cache (F_NOCACHE). Elsewhere (Windows)
    the cache may answer: a full check is a read after the medium is mounted again (``media verify``)."""
    with contextlib.suppress(OSError):
        with open(path, "rb") as handle:
            if hasattr(os, "posix_fadvise"):
                os.fsync(handle.fileno())
                os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
            elif sys.platform == "darwin":
                import fcntl

                fcntl.fcntl(handle.fileno(), fcntl.F_NOCACHE, 1)
                return handle.read(MAX_INPUT_BYTES + 1)
    return read_bytes(path, what)


_HELD: dict[Path, int] = {}  # locks this process holds, and how deeply: a holder may lock again

# The lock beside a file: a hidden sidecar of our own name (KeePass 2 keeps, overwrites and deletes '<db>.lock'),
# locked by the operating system for as long as its holder lives (fcntl on POSIX, LockFileEx through msvcrt on
# Windows): a holder killed, its console closed or its machine powered off holds nothing. The sidecar is never
# deleted (a waiter holding the old one open would then lock another file than the next taker); while held it
# names its holder, for messages; released, it is empty.
LOCK_SUFFIX = ".rootkeeper-lock"
_WINDOWS_LOCK_OFFSET = 2 ** 30  # the byte locked on Windows: beyond what the sidecar holds, so it stays readable


def hostname() -> str:
    """This host's name (as socket.gethostname(), without importing socket on the break-glass path)."""
    if hasattr(os, "uname"):
        return os.uname().nodename
    import socket

    return socket.gethostname()


def lock_path(path: Path) -> Path:
    """The lock sidecar of ``path``: ``.<name>.rootkeeper-lock`` beside the link's target (hidden, as it stays)."""
    target = real(path)
    return target.with_name(f".{target.name}{LOCK_SUFFIX}")


def _try_lock(fd: int, where: Path) -> bool:
    """Take the operating system's lock on the open sidecar ``fd`` without waiting: False when someone holds it."""
    try:
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except (BlockingIOError, PermissionError):
        return False
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EACCES, getattr(errno, "EDEADLOCK", errno.EDEADLK)):
            return False
        raise LockError(f"the file system of {where.parent} cannot lock files ({exc.strerror}): two writers there "
                        "could lose each other's changes; keep the stores on a local disk or a share that supports "
                        "locks (SMB, NFS with lockd)") from None


def _release(fd: int) -> None:
    """Give the lock back (closing the sidecar would too): a failure here is no failure of the command."""
    with contextlib.suppress(OSError):
        os.ftruncate(fd, 0)
    with contextlib.suppress(OSError):
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.lockf(fd, fcntl.LOCK_UN)


def holder_name() -> str:
    """How this process names itself in a lock it holds (for people: the operating system decides who holds
    it): host, pid, since when, and, where the system says, its machine and boot ids (two hosts of one name,
    WSL2 and Windows, containers, are told apart), with a random token."""
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    ids = []
    for label, source in (("machine", "/etc/machine-id"), ("boot", "/proc/sys/kernel/random/boot_id")):
        with contextlib.suppress(OSError, UnicodeDecodeError):
            with open(source, encoding="ascii") as handle:
                ids.append(f"{label} {handle.read(64).strip().replace('-', '')[:12]}")
    ids.append(f"token {os.urandom(4).hex()}")
    return f"{hostname()} pid {os.getpid()} since {started} ({', '.join(ids)})"


@dataclass(frozen=True)
class LockState:
    """A lock sidecar as found: held now (by a live process: the operating system says), and whom it names."""

    file: Path  # the file it locks
    sidecar: Path
    held: bool | None  # None: it could not be tried (unreadable to this user): not known to be free
    holder: str  # what the sidecar says ("" for nothing)
    cleared: bool = False  # not held, and the name a killed holder left was cleared

    @property
    def since(self) -> str | None:
        import re

        found = re.search(r" since (\S+)", self.holder)
        return found.group(1) if found else None


def lock_state(sidecar: Path) -> LockState:
    """Whether ``sidecar`` (``.<name>.rootkeeper-lock``) is held, tried without waiting; when free, a name that a
    killed holder left in it is cleared (it would mislead the next waiter's message)."""
    target = sidecar.with_name(sidecar.name[1:-len(LOCK_SUFFIX)])
    try:
        fd = os.open(sidecar, os.O_RDWR | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return LockState(target, sidecar, False, "")
    except OSError as exc:  # never "free" for a lock that could not be tried
        return LockState(target, sidecar, None, f"cannot be opened to try it ({exc.strerror})")
    try:
        named = os.read(fd, 512).decode("utf-8", "replace").strip()
        if not _try_lock(fd, sidecar):
            return LockState(target, sidecar, True, lock_holder(target) or named)
        try:
            return LockState(target, sidecar, False, named, cleared=bool(named))
        finally:
            _release(fd)  # empties it
    finally:
        os.close(fd)


def lock_sidecars(folders: list[Path]) -> list[Path]:
    """Every lock sidecar in ``folders``."""
    found = set()
    for folder in folders:
        with contextlib.suppress(OSError):
            found.update(p for p in Path(folder).glob(f".*{LOCK_SUFFIX}") if p.is_file())
    return sorted(found)


def lock_holder(path: Path) -> str:
    """Who holds the lock of ``path``, as its sidecar names them ("" when it names no one)."""
    try:
        with open(lock_path(path), "rb") as handle:
            return handle.read(512).decode("utf-8", "replace").strip()
    except OSError:
        return ""


@contextlib.contextmanager
def file_lock(path: Path, wait: float | None = None) -> Iterator[None]:
    """Hold the lock of ``path`` (its sidecar ``.<name>.rootkeeper-lock``, beside the link's target) for the
    duration of the block, waiting for it at most ``wait`` seconds. Re-entrant within a process: a workspace
    that holds a store's lock from read to write can still call the writers."""
    path = real(path)
    if _HELD.get(path):
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    lock = lock_path(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0), 0o600)
    except FileNotFoundError:
        raise NotFoundError(f"directory {lock.parent} does not exist: create it first") from None
    except OSError as exc:
        raise LockError(f"{path} cannot be locked: {lock} cannot be opened ({exc.strerror})") from None
    try:
        deadline = time.monotonic() + (LOCKING["wait"] if wait is None else wait)
        pause = 0.01
        while not _try_lock(fd, lock):
            if time.monotonic() >= deadline:
                who = lock_holder(path) or "a process that has not named itself yet"
                raise LockError(f"{path} is locked by another rootkeeper ({who}); wait for it to finish (its lock "
                                "ends with it, even if it is killed)")
            time.sleep(pause)
            pause = min(pause * 2, 0.1)  # backoff: a sharing violation on Windows often passes in milliseconds
        with contextlib.suppress(OSError):  # the holder named, for a waiter's message
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (holder_name() + "\n").encode())
        _HELD[path] = 1
        try:
            yield
        finally:
            _HELD.pop(path, None)
            _release(fd)
    finally:
        os.close(fd)


# Windows: the file is open elsewhere without FILE_SHARE_DELETE (a waiter, a reader, an antivirus or indexer,
# a sync client): a sharing violation (32), a lock violation (33) or access denied (5), which pass in moments.
_SHARING = {5, 32, 33}
SHARING_WAIT = 2.0  # seconds a replace or a removal is retried on a sharing violation


def retrying(action, *args):
    """``action(*args)``, retried with backoff for up to ``SHARING_WAIT`` seconds while Windows reports the file
    busy; any other error at once."""
    deadline, pause = time.monotonic() + SHARING_WAIT, 0.01
    while True:
        try:
            return action(*args)
        except PermissionError as exc:
            if getattr(exc, "winerror", None) not in _SHARING or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.2)


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
    if os.name == "nt":
        fd, read_only = _windows_create(tmp, path, mode)
    else:
        with contextlib.suppress(FileNotFoundError):
            mode = stat.S_IMODE(path.stat().st_mode)  # keep the permissions someone chose for the file
        fd, read_only = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode), False
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
        if read_only:  # Windows refuses to replace a read-only file: it is replaced, and read-only again after
            os.chmod(path, stat.S_IWRITE | stat.S_IREAD)
        try:
            retrying(os.replace, tmp, path)
        finally:
            if read_only:
                with contextlib.suppress(OSError):
                    os.chmod(path, stat.S_IREAD)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_dir(directory)


def _windows_create(tmp: Path, path: Path, mode: int) -> tuple[int, bool]:
    """Windows: the temporary file with the access list the file should have (the one it has, else the user's
    alone for a secret, else its folder's), and whether the file is read-only (kept so after the replace)."""
    from . import winacl

    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    read_only = bool(info is not None and getattr(info, "st_file_attributes", 0) & stat.FILE_ATTRIBUTE_READONLY)
    kept = winacl.descriptor(path) if info is not None else None
    if kept or not mode & 0o077:
        with contextlib.suppress(OSError):  # else its folder's, which privacy() then says for a secret file
            return winacl.create(tmp, kept), read_only
    return os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | os.O_BINARY, mode), read_only


def privacy(path: Path) -> str:
    """Who else may read a secret file just written, as its file system keeps it: "" when only its owner can
    (its POSIX mode, read back after writing), else a warning saying so. Never "0600" taken on trust: FAT and
    exFAT have no permissions, a CIFS or smbfs mount ignores or invents them, and on Windows a new file gets the
    access list of its folder."""
    if os.name == "nt":
        from . import winacl

        try:
            alone = winacl.owner_only(winacl.descriptor(path), winacl.user_sid())
        except OSError:
            alone = False
        return "" if alone else (f"{path} is not kept for you alone (its file system keeps no access list, or the "
                                 f"server rewrote it): whoever {path.parent} lets read may read it (check with "
                                 "icacls); keep it off shared and synced folders")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return ""
    if mode & 0o077:
        return (f"{path} is readable by others (mode {mode:04o}, not 0600): its file system ignores permissions "
                "(FAT, exFAT, a CIFS or smbfs mount); keep it there only as long as needed")
    return ""


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
                with _reading(path) as handle:
                    current = handle.read()
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
