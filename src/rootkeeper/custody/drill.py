"""``drill``: a recovery drill that opens every copy and cross-checks them, with a dated report.

Each copy is a medium written by ``media write`` (its manifest is verified first) or a store file;
with the custody plan, a medium named by the plan (at its ``path``), or every copy the plan declares.
Every vault copy is opened and every seed copy decrypted with this command's secrets. Vault
copies must hold the same entries (name, e-mail, password); seed copies the same seeds, compared
as the codes they give at one instant; and every vault account needs a seed and every seed a
vault account. The report (Markdown and JSON, schema ``rootkeeper.drill/1``) names each copy and
account that differs, and never holds a secret.

With the plan, the drill proves the recovery paths it declares: each key the plan places (an identity
on a medium or a device, the identity the key shares rebuild) against each seed copy. A key whose
identity this drill was given decrypts the copy on its own; a key that is not one of the copy's
recipients is a difference; a key not given is said to be untried, never counted as opening it.
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
from .plan import Plan, medium_named, store_copies

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
    keys: list[dict] = field(default_factory=list)  # each declared key against each seed copy: copy, key, where, result

    @property
    def ok(self) -> bool:
        return not self.differences

    def public(self) -> dict:
        return {"at": self.at.strftime("%Y-%m-%dT%H:%M:%SZ"), "rootkeeper_version": __version__, "ok": self.ok,
                "copies": [{"copy": c.name, "path": str(c.path), "kind": c.kind, "ok": c.ok, "accounts": c.accounts,
                            "problem": c.problem or None} for c in self.copies],
                "live": self.live, "notes": self.notes, "keys": self.keys, "differences": self.differences}


def parse_copies(specs: list[str], plan: Plan | None = None) -> list[tuple[str, Path | None]]:
    """(name, path) of each copy: ``NAME=PATH``, or with the plan a medium's name (at its path); with the plan
    and no spec, every copy of a store the plan declares (path None: the plan does not say where it is mounted)."""
    out, seen = [], set()
    if plan is not None and not specs:
        copies = store_copies(plan)
        if not copies:
            raise InputError(f"custody plan {plan.path} puts the vault and the seed store on no medium: nothing to drill")
        return [(m.name, Path(m.path) if m.path else None) for m in copies]
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep and plan is not None and spec in plan.media:
            name, path = spec, medium_named(plan, spec).path
        elif not sep or not name or not path:
            raise InputError(f"--copy {spec!r} is not NAME=PATH, e.g. --copy usb-1=/media/usb1"
                             + (" (or a medium of the plan)" if plan is not None else ""))
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


def run(ws: Workspace, specs: list[str], *, plan: Plan | None = None, now: datetime | None = None) -> Drill:
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
        return {account: (tuple((r.device_arn, code(r.seed, instant, digits=int(r.digits), period=int(r.period),
                                                     algorithm=r.algorithm)) for r in rows),)
                for account, rows in store.by_account().items()}  # every seed of the account: one per device

    live = {kind: path for kind, path in (("vault", ws.vault_path), ("seeds", ws.seeds_path))
            if path is not None and path.is_file()}
    files: dict[tuple[int, int], str] = {_identity(path): f"the live {kind}" for kind, path in live.items()}
    copies = []
    for name, path in parse_copies(specs, plan):
        if path is None:
            drill.differences.append(f"copy {name} of the plan has no path (where it is mounted): not drilled; add "
                                     f"path = \"...\" to its [[medium]], or drill it with --copy {name}=PATH")
            continue
        declared = plan is not None and name in plan.media
        if declared and not path.exists():  # a copy the plan declares, not here
            drill.differences.append(f"copy {name} of the plan is not at {path} (not mounted?): not drilled")
            continue
        try:
            copies.append((name, *_stores(name, path)))
        except InputError as exc:
            if not declared:
                raise
            drill.differences.append(f"copy {name} of the plan: {exc.message}")  # e.g. a medium never written
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
    if plan is not None and plan.seeds_key == "identity":
        _declared_keys(ws, plan, drill, pins, live_pin)
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


def _declared_keys(ws: Workspace, plan: Plan, drill: Drill, pins: dict[Path, str | None], live_pin: str | None) -> None:
    """Each key the plan places against each seed copy that opened: decrypted with that key alone where this
    drill was given its identity; a key that is not a recipient of a copy is a difference; untried keys said."""
    from ..stores.seeds.formats import recipients_fingerprint
    from ..stores.seeds.store import SeedStore, public_of
    from .stores import placed_keys

    declared = placed_keys(plan)
    given = {public_of(identity): identity for identity in (ws.credentials.seeds_identities() or [])}
    configured = list(ws.config.recipients)
    known = recipients_fingerprint(configured) if configured else None
    untried: set[str] = set()
    for copy in [c for c in drill.copies if c.kind == "seeds" and c.path in pins]:
        pin = pins[copy.path]
        recipients = configured if pin is not None and pin == known else None  # this copy's recipients, when known
        for key, where in declared.items():
            row = {"copy": copy.name, "key": key, "where": where}
            if recipients is not None and key not in recipients:
                row["result"] = "not-a-recipient"
                drill.differences.append(f"copy {copy.name} ({copy.path}): {where} ({key}) does not open it: not one "
                                         "of its recipients (add it with 'rootkeeper seeds recipients add', then write "
                                         "the copy again)")
            elif key in given:
                try:
                    SeedStore.open(copy.path, identities=[given[key]])
                    row["result"] = "opened"
                except RootkeeperError as exc:
                    row["result"] = "refused"
                    drill.differences.append(f"copy {copy.name} ({copy.path}): {where} ({key}) does not open it "
                                             f"({exc.message})")
            else:
                row["result"] = "not-tried"
                untried.add(f"{where} ({key})")
            drill.keys.append(row)
    if untried:
        drill.notes.append(f"{len(untried)} key(s) of the plan not tried, their identity not given to this drill (a "
                           f"recipient of the copies, not proven to open them): {'; '.join(sorted(untried))}")
    strangers = sorted(set(given) - set(declared))
    if strangers:
        drill.notes.append(f"the drill's identity {', '.join(strangers)} is placed nowhere by the plan")
    if live_pin is None and any(c.kind == "seeds" for c in drill.copies):
        drill.notes.append("no live seed store was consulted: a copy's recipients are known only from its own pin")


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
    if drill.keys:
        lines += ["", "## The plan's keys against the seed copies", "", "| copy | key | whose | result |", "|---|---|---|---|"]
        lines += [f"| {k['copy']} | `{k['key']}` | {k['where']} | {k['result']} |" for k in drill.keys]
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


def findings_run(result: Drill, anchor: str):
    """The drill's results for the finding formats: one per copy (and per difference no copy is named in)."""
    from ..findings.results import Run, from_drill

    public = result.public()
    return Run("drill", "Recovery drill: rootkeeper drill", public["at"], from_drill(public),
               {"copies": len(result.copies), "compared_with_live_stores": len(result.live),
                "keys_tried": len(result.keys), "differences": len(result.differences)},
               [f"{k['copy']}: {k['where']} {k['result']}" for k in result.keys if k["result"] == "not-tried"], anchor)
