"""``media write`` and ``media verify``: artefacts on a mounted medium, with a manifest.

A medium (a mounted USB drive, a share's folder) gets each artefact as a file and a manifest,
``rootkeeper-manifest.json``: per file the artefact kind, SHA-256, size, when it was written and by
which rootkeeper, plus a digest over the entries so that an edited manifest is caught too. A
write is read back and compared before the manifest names it. A medium holds one side only: a
seed artefact is refused on a medium whose manifest (or whose files) hold a password artefact,
and the reverse. ``verify`` reports every changed, missing or extra file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import CorruptError, InputError, SegregationError
from ..rules.redaction import AGE_IDENTITY
from ..storage import fsutil
from ..stores.seeds.store import AGE_MAGIC
from ..stores.vault import KDBX_MAGIC
from .plan import PASSWORD_ARTEFACTS, SEED_ARTEFACTS, Plan

if TYPE_CHECKING:
    from ..workspace import Workspace

MANIFEST = "rootkeeper-manifest.json"
SCHEMA = "rootkeeper.manifest/1"
PASSWORD_SIDE = PASSWORD_ARTEFACTS
SEED_SIDE = tuple(a for a in SEED_ARTEFACTS if a != "key-share")  # shares are pages, not files written here
ARTEFACTS = PASSWORD_SIDE + SEED_SIDE
IGNORED = {"lost+found", "System Volume Information", ".Trashes", ".Spotlight-V100", ".fseventsd", "$RECYCLE.BIN"}
# What macOS and Windows write onto any medium they mount (Finder's folder settings, AppleDouble "._" files of
# each file's extended attributes, Explorer's folder settings and thumbnails): not copies, not extra files.
# They are still read when looking for a store by its first bytes.
PLATFORM_FILES = {".DS_Store", "desktop.ini", "Desktop.ini", "Thumbs.db", "ehthumbs.db", ".localized", ".apdisk",
                  ".VolumeIcon.icns", ".com.apple.timemachine.donotpresent"}
PLATFORM_FOLDERS = {".TemporaryItems", ".DocumentRevisions-V100", ".Trash-1000", ".metadata_never_index"}


def _our_lock(relative: str, path: Path, stores: dict[str, str]) -> bool:
    """The lock sidecar a write left beside a file (empty, or naming its holder): not a copy, not extra."""
    return (relative.endswith(fsutil.LOCK_SUFFIX) and not path.is_symlink() and path.is_file()
            and path.stat().st_size <= 512 and relative not in stores)


def platform_metadata(relative: str) -> bool:
    """Is the file at ``relative`` (a path on the medium) what an operating system writes there by itself?"""
    parts = relative.split("/")
    return parts[-1] in PLATFORM_FILES or parts[-1].startswith("._") or parts[0] in PLATFORM_FOLDERS


KEY_FILE_DOMAIN = b"rootkeeper key file digest/1\n"


def file_digest(artefact: str, data: bytes) -> str:
    """What the manifest records of a file: its SHA-256, except for the vault's key file. KeePass takes the
    SHA-256 of a key file that is not XML as the key itself, so a key file is hashed with a prefix
    (``rootkeeper key file digest/1`` and a newline) and its plain SHA-256 is never written anywhere."""
    if artefact == "vault-key":
        return hashlib.sha256(KEY_FILE_DOMAIN + data).hexdigest()
    return hashlib.sha256(data).hexdigest()


def side(artefact: str) -> str:
    return "password" if artefact in PASSWORD_SIDE else "seed"


def _digest(entries: list[dict]) -> str:
    return hashlib.sha256(json.dumps(entries, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class Manifest:
    path: Path
    entries: list[dict] = field(default_factory=list)
    original: bytes | None = None
    intact: bool = True  # the entries match the manifest's own digest

    @classmethod
    def read(cls, directory: Path, *, required: bool) -> Manifest:
        path = directory / MANIFEST
        if not path.exists():
            if required:
                raise InputError(f"{directory} has no {MANIFEST}: it was not written by 'rootkeeper media write' "
                                 "(or the manifest is lost: rewrite the medium)")
            return cls(path)
        data = fsutil.read_bytes(path, "manifest", limit=4 * 1024 * 1024)
        try:
            document = json.loads(data)
            entries = document["entries"]
            ok = document.get("schema") == SCHEMA and isinstance(entries, list) and all(
                isinstance(e, dict) and {"artefact", "file", "sha256", "size"} <= set(e) for e in entries)
        except (ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            raise CorruptError(f"{path} is damaged (not a rootkeeper manifest): verify the medium's files against "
                               "another copy and rewrite it")
        manifest = cls(path, entries, data)
        manifest.intact = document.get("digest") == _digest(entries)
        return manifest

    def payload(self) -> bytes:
        document = {"schema": SCHEMA, "entries": self.entries, "digest": _digest(self.entries)}
        return (json.dumps(document, indent=2) + "\n").encode()

    def sides(self) -> set[str]:
        return {side(e["artefact"]) for e in self.entries if e["artefact"] in ARTEFACTS}


def _files(directory: Path):
    """(path relative to the medium, path) of every file on the medium, in every folder (links included,
    never followed; the folders a file system keeps for itself left out)."""
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if relative.parts[0] in IGNORED or (path.is_dir() and not path.is_symlink()):
            continue
        yield relative.as_posix(), path


def _sides_on_disk(directory: Path) -> dict[str, str]:
    """Files anywhere on the medium that look like a store, by their first bytes: name -> side."""
    found = {}
    for name, entry in _files(directory):
        if name == MANIFEST or entry.is_symlink() or not entry.is_file():
            continue
        try:
            with open(entry, "rb") as handle:
                head = handle.read(32)
        except OSError:
            continue
        if head.startswith(KDBX_MAGIC):
            found[name] = "password"
        elif head.startswith(AGE_MAGIC) or head.lstrip().startswith(AGE_IDENTITY.encode()):
            found[name] = "seed"
    return found


def on_medium(directory: Path, name: str) -> Path:
    """The path of file ``name`` on the medium, refused if it would leave the medium: a name with a folder
    or ``..``, a symbolic link (a write would go through it, to wherever it points), or anything that is
    not a regular file."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or name != Path(name).name:
        raise InputError(f"{name!r} is not a file name on the medium: the manifest names files in its own folder")
    path = fsutil.real(directory) / name
    if path.is_symlink():
        raise SegregationError(f"{path} is a symbolic link (to {Path(path).readlink()}): a medium holds files, "
                               "never links that lead off it; delete the link and write again")
    if path.exists() and not path.is_file():
        raise InputError(f"{path} is not a regular file: move it away and write again")
    return path


@dataclass
class Written:
    artefact: str
    path: Path
    sha256: str
    size: int


def source(ws: Workspace, artefact: str) -> tuple[str, bytes, list[dict]]:
    """(file name on the medium, bytes, the records its making adds) of an artefact, from this workspace."""
    if artefact == "vault":
        path = ws.require_vault_path()
        ws.vault().check_segregation()  # it opens with these credentials, and holds no seed anywhere
        return path.name, fsutil.read_bytes(path, "vault"), []
    if artefact == "vault-key":
        if ws.key_file is None:
            raise InputError("the vault has no key file configured: give --vault-key-file FILE")
        return ws.key_file.name, fsutil.read_bytes(ws.key_file, "key file", secret=True), []
    if artefact == "seeds":
        path = ws.require_seeds_path()
        ws.seeds()
        return path.name, fsutil.read_bytes(path, "seed store"), []
    if artefact == "seeds-identity":
        identities = ws.credentials.seeds_identities()
        if not identities:
            raise InputError("give the identity to copy with --seeds-identity FILE")
        return "seeds-identity.agekey", ("".join(f"{i}\n" for i in identities)).encode(), []
    if artefact == "emergency-sheet":
        from ..paper import emergency
        from ..paper.pdf import PAPERS

        sheet = emergency.print_emergency_sheet(ws, paper=PAPERS[0], classification=emergency.DEFAULT_CLASSIFICATION,
                                                locations=[])
        return "emergency-sheet.pdf", sheet.pdf, [sheet.event]
    if artefact == "seed-sheet":
        from ..paper import seedsheet
        from ..paper.pdf import PAPERS

        sheet = seedsheet.print_seed_sheet(ws, [], paper=PAPERS[0], classification=seedsheet.DEFAULT_CLASSIFICATION)
        return "seed-sheet.pdf", sheet.pdf, [sheet.event]
    raise InputError(f"artefact {artefact!r} is not one of {', '.join(ARTEFACTS)}")


def check_destination(directory: Path, artefact: str) -> Manifest:
    """Refuse before anything is read or written: a missing directory, or a medium of the other side."""
    if not directory.is_dir():
        raise InputError(f"{directory} is not a directory: give the mounted medium's folder")
    manifest = Manifest.read(directory, required=False)
    mine = side(artefact)
    other = [e["file"] for e in manifest.entries if side(e["artefact"]) != mine]
    other += [name for name, found in _sides_on_disk(directory).items() if found != mine and name not in other]
    if other:
        raise SegregationError(
            f"{directory} already holds {', '.join(sorted(other))}, of the {'seed' if mine == 'password' else 'password'} "
            f"side: a medium carries passwords or seeds, never both; use another medium for the {artefact}"
        )
    return manifest


def destination(plan: Plan, dest: str, artefact: str) -> tuple[Path, str]:
    """Where ``artefact`` goes by the plan: ``dest`` is one of its media (by name) or the path one is mounted at;
    refused unless the plan says that medium carries it. Returns (directory, the medium's name)."""
    from .plan import medium_named

    if dest in plan.media:
        medium = medium_named(plan, dest)
    else:
        here = fsutil.real(Path(dest))
        medium = next((m for m in plan.media.values() if m.path and fsutil.real(Path(m.path)) == here), None)
        if medium is None:
            raise InputError(f"{dest} is neither a medium of custody plan {plan.path} nor where one is mounted (its "
                             f"media: {', '.join(sorted(plan.media))}): give a medium's name, or add its path")
    if artefact not in medium.carries:
        raise InputError(f"custody plan {plan.path} says medium {medium.name} carries "
                         f"{', '.join(medium.carries) or 'nothing'}, not {artefact}: choose the medium the plan puts it "
                         "on, or change the plan (and check it) first")
    return Path(medium.path), medium.name


def write(ws: Workspace, artefact: str, directory: Path, *, now: datetime | None = None,
          medium: str | None = None) -> Written:
    """Write ``artefact`` to the medium mounted at ``directory`` (``medium``: its name in the custody plan)."""
    if artefact not in ARTEFACTS:
        raise InputError(f"artefact {artefact!r} is not one of {', '.join(ARTEFACTS)}")
    manifest = check_destination(directory, artefact)
    name, data, made = source(ws, artefact)
    target, manifest_path = on_medium(directory, name), on_medium(directory, MANIFEST)
    digest = file_digest(artefact, data)
    event = {"event": "media.write", "artefact": artefact, "medium": str(fsutil.real(directory)), "file": name,
             "size": len(data)}
    if medium:
        event["plan_medium"] = medium
    if artefact != "vault-key":
        event["sha256"] = digest
    entries = [e for e in manifest.entries if e["file"] != name]
    entries.append({"artefact": artefact, "file": name, "sha256": digest, "size": len(data),
                    "written_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "rootkeeper_version": __version__})
    manifest.entries = sorted(entries, key=lambda e: e["file"])
    old = target.read_bytes() if target.exists() else None
    # Written, then recorded (the journal's commit): a medium that is read-only or full gets no record.
    ws.write_files([(target, data, old, 0o600), (manifest_path, manifest.payload(), manifest.original, 0o644)],
                   *made, event)
    back = file_digest(artefact, fsutil.read_back(on_medium(directory, name), artefact))  # the device, not the cache
    if back != digest:
        raise CorruptError(f"{target} reads back differently from what was written: the medium is failing; "
                           "replace it")
    return Written(artefact, target, digest, len(data))


@dataclass
class Problem:
    kind: str  # changed, missing, extra, manifest, off-medium (a name leaving the medium), link
    file: str
    detail: str


@dataclass
class Verified:
    directory: Path
    entries: list[dict]
    problems: list[Problem]
    accounts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # file -> [(account id, name)]
    metadata: list[str] = field(default_factory=list)  # files the operating system wrote there (not problems)


def verify(directory: Path, ws: Workspace | None = None) -> Verified:
    """Every byte against the manifest; with ``ws`` (``--deep``), also open each store and list its accounts."""
    manifest = Manifest.read(directory, required=True)
    problems, metadata = [], []
    if not manifest.intact:
        problems.append(Problem("manifest", MANIFEST, "its entries do not match its own digest: it was edited"))
    listed = {e["file"] for e in manifest.entries}
    entries = []
    for entry in manifest.entries:
        try:
            path = on_medium(directory, str(entry["file"]))
        except (InputError, SegregationError) as exc:  # a link, a folder, a path off the medium: no copy here
            problems.append(Problem("off-medium", str(entry["file"]), exc.message))
            continue
        if not path.is_file():
            problems.append(Problem("missing", entry["file"], f"the {entry['artefact']} is not on the medium"))
            continue
        entries.append(entry)
        data = fsutil.read_bytes(path, entry["artefact"])
        digest = file_digest(entry["artefact"], data)
        if len(data) != entry["size"] or digest != entry["sha256"]:
            problems.append(Problem("changed", entry["file"], f"{len(data):,} bytes, digest {digest[:16]}..., not the "
                                    f"{entry['size']:,} bytes and {entry['sha256'][:16]}... written"))
    stores = _sides_on_disk(directory)  # a store named like metadata is still a file the manifest must list
    for relative, path in _files(directory):
        if relative == MANIFEST or _our_lock(relative, path, stores):
            continue
        if path.is_symlink() and relative not in {p.file for p in problems}:
            problems.append(Problem("link", relative, f"a symbolic link (to {path.readlink()}), not a file on the "
                                                      "medium"))
        elif relative not in listed and path.is_file():
            if platform_metadata(relative) and relative not in stores:
                metadata.append(relative)
            else:
                problems.append(Problem("extra", relative, "a file the manifest does not list"))
    result = Verified(directory, entries, problems, metadata=metadata)
    if ws is not None:
        for entry in manifest.entries:
            path = fsutil.real(directory) / entry["file"]
            if not path.is_file() or any(p.file == entry["file"] for p in problems):
                continue
            if entry["artefact"] == "vault":
                result.accounts[entry["file"]] = sorted((e.account_id, e.name) for e in ws.open_vault(path).entries())
            elif entry["artefact"] == "seeds":
                result.accounts[entry["file"]] = sorted({(r.account_id, r.account_name)  # an account once, its seeds
                                                         for r in ws.open_seeds(path).active_rows()})
    return result
