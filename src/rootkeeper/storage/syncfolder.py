"""Sync folders (OneDrive, Dropbox, iCloud Drive, Google Drive, Box, Nextcloud, Syncthing): single-writer places.

A sync client copies files between machines some seconds or minutes after they change. Our locks, exclusive
creates and renames hold on one machine only: two people writing the vault inside the sync delay each succeed,
and the client keeps one version and files the other as a conflict copy (``vault-LAPTOP.kdbx``,
``vault (Ann's conflicted copy 2026-12-01).kdbx``) that nobody reads; the journal and its head may arrive from
different machines. A folder of this kind is therefore one writer's: a change of a store there is refused unless
the command says that its machine is that writer (``--sync-folder single-writer``), and a conflict copy beside a
store refuses every change until a person has compared and moved it. Reading (break glass) is always allowed.

A file the client keeps "online only" (a Files-On-Demand placeholder, an evicted iCloud file) has no bytes on the
machine: break glass without a network then fails, so it is named with the fix.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

POLICIES = ("refuse", "single-writer")
POLICY = {"sync_folder": "refuse"}  # the command's setting (ROOTKEEPER_SYNC_FOLDER, settings.py), for the process

# The environment variables Windows' OneDrive client sets to its folders.
_ENVIRONMENT = ("OneDriveCommercial", "OneDriveConsumer", "OneDrive")
# A file or folder a client keeps at the root of what it syncs.
_MARKERS = ((".dropbox", "Dropbox"), (".dropbox.cache", "Dropbox"), (".stfolder", "Syncthing"),
            (".tmp.drivedownload", "Google Drive"), (".tmp.driveupload", "Google Drive"),
            (".owncloudsync.log", "Nextcloud/ownCloud"))
# Folder names the clients give their roots (macOS puts the File Provider ones under ~/Library/CloudStorage).
_NAMES = ((re.compile(r"OneDrive( - .+)?|OneDrive-.+"), "OneDrive"), (re.compile(r"Dropbox( \(.+\))?"), "Dropbox"),
          (re.compile(r"Google ?Drive(-.+)?|My Drive|Shared drives"), "Google Drive"),
          (re.compile(r"iCloud ?Drive|Mobile Documents|com~apple~CloudDocs"), "iCloud Drive"),
          (re.compile(r"CloudStorage"), "a macOS File Provider (cloud storage)"), (re.compile(r"Box( Sync)?"), "Box"),
          (re.compile(r"Nextcloud|ownCloud"), "Nextcloud/ownCloud"))

# Windows file attributes of cloud files (winnt.h), and macOS's SF_DATALESS (an evicted file: no bytes here).
_OFFLINE, _RECALL_ON_OPEN, _RECALL_ON_DATA_ACCESS = 0x1000, 0x40000, 0x400000
_PINNED, _UNPINNED = 0x80000, 0x100000
_SF_DATALESS = 0x40000000


@dataclass(frozen=True)
class Place:
    client: str  # which sync client's folder ("Dropbox", "OneDrive"...)
    root: Path  # the folder that told us (its root, or the folder named so)


def place(path: Path) -> Place | None:
    """The sync folder ``path`` is in, or None: a root OneDrive names in the environment, a folder holding a
    client's marker, or a folder a client's name."""
    target = Path(os.path.abspath(path))
    for variable in _ENVIRONMENT:
        root = os.environ.get(variable)
        if root and _under(target, Path(os.path.abspath(root))):
            return Place("OneDrive", Path(root))
    return _folder_place(str(target.parent))


@functools.lru_cache(maxsize=64)
def _folder_place(folder: str) -> Place | None:
    """The sync client whose folder ``folder`` is, by its markers and names (once per folder and command)."""
    folders = [Path(folder), *Path(folder).parents]
    for candidate in folders:
        for marker, client in _MARKERS:
            try:
                if os.path.lexists(candidate / marker):
                    return Place(client, candidate)
            except OSError:
                continue
    for candidate in folders:
        for pattern, client in _NAMES:
            if pattern.fullmatch(candidate.name):
                return Place(client, candidate)
    return None


def _under(path: Path, root: Path) -> bool:
    return os.path.normcase(str(path)).startswith(os.path.normcase(str(root)).rstrip("\\/") + os.sep)


def conflict_copies(path: Path) -> list[Path]:
    """The conflict copies a sync client left beside ``path``: Dropbox's "(... conflicted copy ...)", Nextcloud's
    "(conflicted copy ...)" and "_conflict-", Syncthing's ".sync-conflict-", and, in a sync folder, OneDrive's
    "-HOSTNAME", Google Drive's " (1)" and iCloud's " 2"."""
    path = Path(path)
    stem, suffix = re.escape(path.stem), re.escape(path.suffix)
    patterns = [rf"{stem} \([^)]*conflicted copy[^)]*\){suffix}", rf"{stem}_conflict-[\d-]+{suffix}",
                rf"{stem}\.sync-conflict-[\w-]+{suffix}"]
    pattern = re.compile("|".join(patterns), re.IGNORECASE)
    try:
        names = sorted(os.listdir(path.parent if str(path.parent) else "."))
    except OSError:
        return []
    candidates = [name for name in names if name != path.name and name.lower().startswith(path.stem.lower())]
    if not candidates:  # the common case: nothing named like the store beside it, no folder walk
        return []
    # In a sync folder: OneDrive's "-COMPUTERNAME" (upper case, at most 15), Google's " (1)", iCloud's " 2".
    synced = re.compile(rf"{stem}-[A-Z0-9][A-Z0-9-]{{0,14}}{suffix}|{stem} \(\d+\){suffix}|{stem} \d+{suffix}")
    in_sync = None
    found = []
    for name in candidates:
        if pattern.fullmatch(name):
            found.append(path.with_name(name))
        elif synced.fullmatch(name):
            in_sync = place(path) is not None if in_sync is None else in_sync
            if in_sync:
                found.append(path.with_name(name))
    return found


def online_only(attributes: int = 0, flags: int = 0) -> bool:
    """A file whose bytes are not on this machine (its client fetches them on open): Windows' offline and
    recall attributes without the pinned one, or macOS's dataless flag."""
    if attributes & _PINNED:
        return False
    return bool(attributes & (_OFFLINE | _RECALL_ON_OPEN | _RECALL_ON_DATA_ACCESS | _UNPINNED) or flags & _SF_DATALESS)


def placeholder(path: Path) -> str:
    """A warning when ``path`` is kept online only (with the fix), else ""."""
    try:
        info = os.stat(path)
    except OSError:
        return ""
    if not online_only(getattr(info, "st_file_attributes", 0), getattr(info, "st_flags", 0)):
        return ""
    return (f"{path} is kept online only by its sync client: break glass without a network would fail; make it "
            "always available here (OneDrive: 'Always keep on this device'; Dropbox: 'Make available offline'; "
            "iCloud: 'Keep Downloaded')")


def warnings(path: Path) -> list[str]:
    """What a person reading the store at ``path`` should know: conflict copies beside it, bytes not kept here."""
    found = [f"{copy.name} beside {path} is a sync client's conflict copy: another machine's change that is not in "
             f"{path.name}; compare the two, keep one, and move the other away (changes are refused until then)"
             for copy in conflict_copies(path)]
    found += [text for text in (placeholder(path),) if text]
    return found


def check_writes(paths: list[Path]) -> None:
    """Refuse a change of these files in a sync folder (unless this machine is declared its one writer), and
    any change while a conflict copy is beside one of them."""
    for path in paths:
        copies = conflict_copies(path)
        if copies:
            raise InputError(f"{copies[0].name} beside {path} is a sync client's conflict copy (another machine's "
                             "change that is not in the file): compare the two, keep one and move the other away, "
                             "then run the command again")
    if POLICY["sync_folder"] == "single-writer":
        return
    for path in paths:
        where = place(path)
        if where is not None:
            raise InputError(f"{path} is in a {where.client} folder ({where.root}): a sync client gives no mutual "
                             "exclusion between machines, so two writers lose one change into a conflict copy; "
                             "change the stores from one machine only and say so with --sync-folder single-writer "
                             "(or ROOTKEEPER_SYNC_FOLDER=single-writer), or keep them on a share or a local disk")

