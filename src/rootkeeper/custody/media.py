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

from .. import __version__, fsutil
from ..errors import CorruptError, InputError, SegregationError
from ..seeds.store import AGE_MAGIC
from ..vault import KDBX_MAGIC
from .plan import PASSWORD_ARTEFACTS, SEED_ARTEFACTS

if TYPE_CHECKING:
    from ..workspace import Workspace

MANIFEST = "rootkeeper-manifest.json"
SCHEMA = "rootkeeper.manifest/1"
PASSWORD_SIDE = PASSWORD_ARTEFACTS
SEED_SIDE = tuple(a for a in SEED_ARTEFACTS if a != "key-share")  # shares are pages, not files written here
ARTEFACTS = PASSWORD_SIDE + SEED_SIDE
IGNORED = {"lost+found", "System Volume Information", ".Trashes", ".Spotlight-V100", ".fseventsd", "$RECYCLE.BIN"}


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


def _sides_on_disk(directory: Path) -> dict[str, str]:
    """Files on the medium that look like a store, by their first bytes: name -> side."""
    found = {}
    for entry in directory.iterdir():
        if entry.is_file() and entry.name != MANIFEST:
            with open(entry, "rb") as handle:
                head = handle.read(32)
            if head.startswith(KDBX_MAGIC):
                found[entry.name] = "password"
            elif head.startswith(AGE_MAGIC) or head.lstrip().startswith(b"AGE-SECRET-KEY-"):
                found[entry.name] = "seed"
    return found


@dataclass
class Written:
    artefact: str
    path: Path
    sha256: str
    size: int


def source(ws: Workspace, artefact: str) -> tuple[str, bytes]:
    """(file name on the medium, bytes) of an artefact, from this workspace."""
    if artefact == "vault":
        path = ws.require_vault_path()
        ws.vault()  # it opens with these credentials, and holds no seed
        return path.name, fsutil.read_bytes(path, "vault")
    if artefact == "vault-key":
        if ws.key_file is None:
            raise InputError("the vault has no key file configured: give --vault-key-file FILE")
        return ws.key_file.name, fsutil.read_bytes(ws.key_file, "key file", secret=True)
    if artefact == "seeds":
        path = ws.require_seeds_path()
        ws.seeds()
        return path.name, fsutil.read_bytes(path, "seed store")
    if artefact == "seeds-identity":
        identities = ws.credentials.seeds_identities()
        if not identities:
            raise InputError("give the identity to copy with --seeds-identity FILE")
        return "seeds-identity.agekey", ("".join(f"{i}\n" for i in identities)).encode()
    if artefact == "emergency-sheet":
        from ..paper.emergency import print_emergency_sheet

        return "emergency-sheet.pdf", print_emergency_sheet(ws, paper="a4", classification="Confidential",
                                                            locations=[]).pdf
    if artefact == "seed-sheet":
        from ..paper.seedsheet import print_seed_sheet

        return "seed-sheet.pdf", print_seed_sheet(ws, [], paper="a4", classification="Secret").pdf
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


def write(ws: Workspace, artefact: str, directory: Path, *, now: datetime | None = None) -> Written:
    if artefact not in ARTEFACTS:
        raise InputError(f"artefact {artefact!r} is not one of {', '.join(ARTEFACTS)}")
    manifest = check_destination(directory, artefact)
    name, data = source(ws, artefact)
    target = directory / name
    digest = file_digest(artefact, data)
    event = {"event": "media.write", "artefact": artefact, "medium": str(fsutil.real(directory)), "file": name,
             "size": len(data)}
    if artefact != "vault-key":
        event["sha256"] = digest
    ws.record(event)
    fsutil.atomic_write(target, data)
    back = file_digest(artefact, fsutil.read_bytes(target, artefact))  # read back what the medium holds
    if back != digest:
        raise CorruptError(f"{target} reads back differently from what was written: the medium is failing; "
                           "replace it")
    entries = [e for e in manifest.entries if e["file"] != name]
    entries.append({"artefact": artefact, "file": name, "sha256": digest, "size": len(data),
                    "written_at": (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "rootkeeper_version": __version__})
    manifest.entries = sorted(entries, key=lambda e: e["file"])
    fsutil.atomic_write(manifest.path, manifest.payload(), mode=0o644)
    return Written(artefact, target, digest, len(data))


@dataclass
class Problem:
    kind: str  # changed, missing, extra, manifest
    file: str
    detail: str


@dataclass
class Verified:
    directory: Path
    entries: list[dict]
    problems: list[Problem]
    accounts: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # file -> [(account id, name)]


def verify(directory: Path, ws: Workspace | None = None) -> Verified:
    """Every byte against the manifest; with ``ws`` (``--deep``), also open each store and list its accounts."""
    manifest = Manifest.read(directory, required=True)
    problems = []
    if not manifest.intact:
        problems.append(Problem("manifest", MANIFEST, "its entries do not match its own digest: it was edited"))
    listed = {e["file"] for e in manifest.entries}
    for entry in manifest.entries:
        path = directory / entry["file"]
        if not path.is_file():
            problems.append(Problem("missing", entry["file"], f"the {entry['artefact']} is not on the medium"))
            continue
        data = fsutil.read_bytes(path, entry["artefact"])
        digest = file_digest(entry["artefact"], data)
        if len(data) != entry["size"] or digest != entry["sha256"]:
            problems.append(Problem("changed", entry["file"], f"{len(data):,} bytes, digest {digest[:16]}..., not the "
                                    f"{entry['size']:,} bytes and {entry['sha256'][:16]}... written"))
    for path in sorted(directory.rglob("*")):
        relative = path.relative_to(directory)
        if relative.parts[0] in IGNORED or path.name == MANIFEST or not path.is_file():
            continue
        if relative.as_posix() not in listed:
            problems.append(Problem("extra", relative.as_posix(), "a file the manifest does not list"))
    result = Verified(directory, manifest.entries, problems)
    if ws is not None:
        for entry in manifest.entries:
            path = directory / entry["file"]
            if not path.is_file() or any(p.file == entry["file"] for p in problems):
                continue
            if entry["artefact"] == "vault":
                result.accounts[entry["file"]] = sorted((e.account_id, e.name) for e in ws.open_vault(path).entries())
            elif entry["artefact"] == "seeds":
                result.accounts[entry["file"]] = sorted((r.account_id, r.account_name)
                                                        for r in ws.open_seeds(path).active_rows())
    return result
