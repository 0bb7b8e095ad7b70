"""``drill``: a recovery drill that opens every copy and cross-checks them, with a dated report.

Each copy is a medium written by ``media write`` (its manifest is verified first) or a store file.
Every vault copy is opened and every seed copy decrypted with this command's secrets. Vault
copies must hold the same entries (name, e-mail, password); seed copies the same seeds, compared
as the codes they give at one instant; and every vault account needs a seed and every seed a
vault account. The report (Markdown and JSON, schema ``rootkeeper.drill/1``) names each copy and
account that differs, and never holds a secret.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..errors import AuthError, InputError, RootkeeperError
from ..storage import fsutil
from . import media

if TYPE_CHECKING:
    from ..workspace import Workspace

SCHEMA = "rootkeeper.drill/1"


@dataclass
class Copy:
    name: str
    path: Path
    kind: str  # vault or seeds
    ok: bool = True
    accounts: int = 0
    problem: str = ""


@dataclass
class Drill:
    at: datetime
    copies: list[Copy]
    differences: list[str] = field(default_factory=list)
    live: list[str] = field(default_factory=list)  # the live stores each copy was compared with
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    def public(self) -> dict:
        return {"at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ"), "rootkeeper_version": __version__, "ok": self.ok,
                "copies": [{"copy": c.name, "path": str(c.path), "kind": c.kind, "ok": c.ok, "accounts": c.accounts,
                            "problem": c.problem or None} for c in self.copies],
                "live": self.live, "notes": self.notes, "differences": self.differences}


def parse_copies(specs: list[str]) -> list[tuple[str, Path]]:
    out, seen = [], set()
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise InputError(f"--copy {spec!r} is not NAME=PATH, e.g. --copy usb-1=/media/usb1")
        if name in seen:
            raise InputError(f"copy {name!r} is named twice: give each copy its own name")
        seen.add(name)
        out.append((name, Path(path)))
    if not out:
        raise InputError("a drill needs copies: --copy NAME=PATH (a medium written by 'media write', or a store file)")
    return out


def _stores(name: str, path: Path) -> tuple[list[tuple[str, Path]], str]:
    """(kind, file) of each store a copy holds, and a problem found on its medium."""
    if path.is_dir():
        verified = media.verify(path)
        problem = "; ".join(f"{p.kind} {p.file}: {p.detail}" for p in verified.problems)
        found = [(e["artefact"], path / e["file"]) for e in verified.entries if e["artefact"] in ("vault", "seeds")]
        if not found:
            raise InputError(f"copy {name} ({path}) holds no vault and no seed store")
        return found, problem
    if not path.is_file():
        raise InputError(f"copy {name}: {path} does not exist")
    with open(path, "rb") as handle:
        head = handle.read(32)
    if head.startswith(media.KDBX_MAGIC):
        return [("vault", path)], ""
    if head.startswith(media.AGE_MAGIC):
        return [("seeds", path)], ""
    raise InputError(f"copy {name}: {path} is neither a KeePass vault nor an age seed store")


def run(ws: Workspace, specs: list[str], *, now: datetime | None = None) -> Drill:
    from ..rules.totp import code

    at = now or datetime.now(UTC)
    instant = at.timestamp()
    drill = Drill(at, [])
    vaults: dict[str, dict[str, tuple]] = {}
    seeds: dict[str, dict[str, tuple]] = {}

    pins: dict[Path, str | None] = {}  # each seed file's pinned recipient set (its own, authenticated)

    def read(kind: str, file: Path) -> dict[str, tuple]:
        if kind == "vault":
            vault = ws.open_vault(file)
            return {e.account_id: (e.name, e.email, hashlib.sha256(vault.password(e).encode()).digest())
                    for e in vault.entries()}
        store = ws.open_seeds(file)
        pins[file] = store.pin
        return {r.account_id: (code(r.seed, instant, digits=int(r.digits), period=int(r.period),
                                    algorithm=r.algorithm),) for r in store.active_rows()}

    live = {kind: path for kind, path in (("vault", ws.vault_path), ("seeds", ws.seeds_path))
            if path is not None and path.is_file()}
    files: dict[tuple[int, int], str] = {_identity(path): f"the live {kind}" for kind, path in live.items()}
    copies = [(name, *_stores(name, path)) for name, path in parse_copies(specs)]
    # The live stores first: a password or identity they refuse is this command's input, wrong (exit 2), not
    # a finding about the copies.
    opened_live: dict[str, dict[str, tuple]] = {}
    for kind in sorted({kind for _name, stores, _problem in copies for kind, _file in stores} & set(live)):
        try:
            opened_live[kind] = read(kind, live[kind])
        except AuthError:
            raise
        except RootkeeperError as exc:  # a live store that does not open is a finding about it
            drill.differences.append(f"the live {kind} does not open: {exc.message}")
    refused: dict[str, list[str]] = {}
    for name, stores, problem in copies:
        for kind, file in stores:
            copy = Copy(name if len(stores) == 1 else f"{name}:{kind}", file, kind)
            drill.copies.append(copy)
            same = files.get(_identity(file))
            if same is not None:  # a link, a hard link or one path given twice: one file, one copy
                copy.ok, copy.problem = False, f"the same file as {same}"
                drill.differences.append(f"copy {copy.name} is the same file as {same} ({file}): not another copy")
                continue
            files[_identity(file)] = f"copy {copy.name}"
            if problem:
                copy.ok, copy.problem = False, problem
                drill.differences.append(f"copy {copy.name}: its medium does not verify ({problem})")
            try:
                (vaults if kind == "vault" else seeds)[copy.name] = read(kind, file)
                copy.accounts = len((vaults if kind == "vault" else seeds)[copy.name])
            except RootkeeperError as exc:  # a copy that does not open is a finding, not the end of the drill
                copy.ok, copy.problem = False, exc.message
                drill.differences.append(f"copy {copy.name} does not open: {exc.message}")
                if isinstance(exc, AuthError):
                    refused.setdefault(kind, []).append(exc.message)
    for kind, messages in refused.items():
        if kind not in live and len(messages) == sum(c.kind == kind for c in drill.copies):
            raise AuthError(f"{messages[0]} (it opens none of the {kind} copies, and no live {kind} is configured "
                            "here to tell a wrong secret from stale copies)")
    # Every copy against the live store of its kind: a copy older than a rotation is stale, whatever the
    # other copies say.
    for kind, held in (("vault", vaults), ("seeds", seeds)):
        if not any(c.kind == kind for c in drill.copies):
            continue
        if kind not in live:
            drill.notes.append(f"the live {kind} was not consulted (none configured here): the {kind} copies "
                               "are compared with each other only")
            continue
        if kind in opened_live:
            held["live"] = opened_live[kind]
            drill.live.append(str(live[kind]))
    # A seed copy encrypted to other recipients than the live store: the keys and shares of the plan may not
    # open it (a recipient added or removed since it was written), however equal its codes.
    live_pin = pins.get(live["seeds"]) if "seeds" in live else None
    for copy in drill.copies:
        pin = pins.get(copy.path)
        if copy.kind == "seeds" and live_pin and pin and pin != live_pin:
            drill.differences.append(
                f"copy {copy.name} ({copy.path}) is encrypted to other recipients than the live seed store "
                f"(sha256:{pin}, the live one sha256:{live_pin}): written before a 'seeds recipients' change, so "
                "a key or share the live store takes may not open it; write it again (rootkeeper media write seeds)")
    drill.differences += _compare("vault", vaults, ("name", "e-mail", "password"))
    drill.differences += _compare("seed", seeds, ("code at one instant",))
    all_vault = set().union(*[set(v) for v in vaults.values()]) if vaults else set()
    all_seeds = set().union(*[set(s) for s in seeds.values()]) if seeds else set()
    if vaults and seeds:
        for account in sorted(all_vault - all_seeds):
            drill.differences.append(f"account {account} has a password in the vault copies but no seed in any seed copy")
        for account in sorted(all_seeds - all_vault):
            drill.differences.append(f"account {account} has a seed but no password in any vault copy")
    for copy in drill.copies:
        if any(f"copy {copy.name}" in d for d in drill.differences):
            copy.ok = False
    return drill


def _identity(path: Path) -> tuple[int, int]:
    """(device, inode) of the file a path names: two names of one file are one copy."""
    import os

    found = os.stat(path)
    return found.st_dev, found.st_ino


def _compare(kind: str, copies: dict[str, dict[str, tuple]], fields: tuple[str, ...]) -> list[str]:
    out = []
    accounts = sorted(set().union(*[set(c) for c in copies.values()])) if copies else []
    for account in accounts:
        holding = {name: c[account] for name, c in copies.items() if account in c}
        for name in copies:
            if account not in copies[name]:
                out.append(f"copy {name}: account {account} is missing (the {kind} copies "
                           f"{', '.join(sorted(holding))} have it)")
        values = set(holding.values())
        if len(values) > 1:
            for index, label in enumerate(fields):
                if len({v[index] for v in holding.values()}) > 1:
                    groups = {}
                    for name, value in holding.items():
                        groups.setdefault(value[index], []).append(name)
                    sides = " vs ".join(", ".join(sorted(g)) for g in groups.values())
                    out.append(f"account {account}: its {label} differs between {kind} copies ({sides})")
    return out


def markdown(drill: Drill) -> str:
    lines = [f"# Recovery drill, {drill.at:%Y-%m-%d %H:%M} UTC", "",
             f"rootkeeper {__version__}. Result: **{'passed' if drill.ok else 'FAILED'}** "
             f"({len(drill.copies)} copies, {len(drill.differences)} differences).", "",
             *(["Compared with the live stores: " + ", ".join(f"`{p}`" for p in drill.live) + ".", ""]
               if drill.live else []),
             *[f"Note: {n}." for n in drill.notes], *([""] if drill.notes else []),
             "| copy | kind | path | accounts | state |", "|---|---|---|---:|---|"]
    for c in drill.copies:
        lines.append(f"| {c.name} | {c.kind} | `{c.path}` | {c.accounts:,} | {'ok' if c.ok else 'FAILED'} |")
    lines += ["", "## Differences", ""]
    lines += [f"- {d}" for d in drill.differences] or ["None: every copy opened, the vault copies hold the same "
                                                       "entries, the seed copies give the same codes, and every "
                                                       "account has both."]
    return "\n".join(lines) + "\n"


def write_report(drill: Drill, directory: Path) -> tuple[Path, Path]:
    """``drill-YYYY-MM-DD-HHMMSS.md`` and ``.json`` in ``directory`` (new files, never overwritten)."""
    if not directory.is_dir():
        raise InputError(f"report directory {directory} does not exist: create it first")
    base = f"drill-{drill.at:%Y-%m-%d-%H%M%S}"
    number = 1
    while True:  # two drills in one second get -2, -3: a report is never overwritten
        stem = directory / (base if number == 1 else f"{base}-{number}")
        md, js = Path(f"{stem}.md"), Path(f"{stem}.json")
        if not (md.exists() or js.exists()):
            break
        number += 1
    fsutil.write_new(md, markdown(drill).encode(), mode=0o644)
    fsutil.write_new(js, (json.dumps({"schema": SCHEMA, **drill.public()}, indent=2) + "\n").encode(), mode=0o644)
    return md, js
