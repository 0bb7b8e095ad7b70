"""The custody plan: where every copy lives and who can reach it (TOML), read all or nothing.

A plan names sites; places (each at a site, off-site or not, opened by one keyholder or by
``keyholders`` together); media (``usb``, ``share`` or ``paper`` at a place; ``device``: a
person's laptop, phone or hardware key holding a key, carried by its holder; ``memory``: what a
custodian knows by heart), the artefacts each carries, the public key of an identity it holds
(``recipient``) and where it is mounted (``path``); custodians, the places and media each can
reach and the secrets each knows; the facts of the stores (does the vault need a key file, is the
seed store opened by a passphrase or an identity, how many key shares rebuild that identity and
its public key); and the policy the check enforces.

Every error names the plan's line and says what to fix; nothing of a bad plan is used.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..rules.redaction import shown
from ..storage import fsutil

# What a medium can carry. Password side: the vault, its key file, the emergency sheet (its master
# password is written on it by hand). Seed side: the seed store, its identity, the seed sheet, key shares.
PASSWORD_ARTEFACTS = ("vault", "vault-key", "emergency-sheet")
SEED_ARTEFACTS = ("seeds", "seeds-identity", "seed-sheet", "key-share", "mfa-device")
SECRETS = ("vault-password", "seeds-passphrase")
ARTEFACTS = PASSWORD_ARTEFACTS + SEED_ARTEFACTS
# A FIDO security key or a hardware TOTP token is itself a root MFA factor (seed side): it carries "mfa-device"
# for the accounts its ``devices`` table lists (account id = the serial AWS shows), at a place or with a holder.
MFA_KINDS = {"security-key": "fido", "hardware-token": "hardware"}
KINDS = ("usb", "share", "paper", "device", "memory", *MFA_KINDS)
HELD = ("device", "memory")  # with a person (holder), at no place
DEVICE_ARTEFACTS = ("vault", "vault-key", "seeds", "seeds-identity")  # what a laptop or a hardware key holds
PAPER_ONLY = ("emergency-sheet", "seed-sheet", "key-share")
MAX_PLAN_BYTES = 4 * 1024 * 1024
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class Place:
    name: str
    site: str
    offsite: bool
    keyholders: int = 1  # custodians needed together to open it (a dual-control safe: 2)


@dataclass(frozen=True)
class Medium:
    name: str
    kind: str
    label: str
    place: str | None  # None for memory and a person's device
    holder: str | None  # the custodian whose memory or device it is
    carries: tuple[str, ...]
    recipient: str | None = None  # the public key of the seed-store identity it carries
    path: str | None = None  # where it is mounted, for 'media write' and 'drill' by the medium's name
    devices: tuple[tuple[str, str], ...] = ()  # a security key's or token's (account id, serial AWS shows)


@dataclass(frozen=True)
class Custodian:
    name: str
    reaches: tuple[str, ...]  # places and media
    knows: tuple[str, ...]


@dataclass(frozen=True)
class Policy:
    min_copies: dict[str, int]
    offsite_required: bool = True
    two_person_rule: bool = True
    keep_sites_apart: bool = False


@dataclass
class Plan:
    path: str
    sites: list[str]
    places: dict[str, Place]
    media: dict[str, Medium]
    custodians: dict[str, Custodian]
    policy: Policy
    vault_key_file: bool = False
    seeds_key: str = "identity"  # or "passphrase"
    shares_threshold: int | None = None
    shares_recipient: str | None = None  # the public key of the identity the key shares split
    lines: dict[tuple[str, str], int] = field(default_factory=dict)  # (table, name) -> line, for messages

    def media_at(self, place: str) -> list[Medium]:
        return [m for m in self.media.values() if m.place == place]

    def mfa_devices(self) -> dict[str, dict[str, str]]:
        """account id -> {serial: the medium that is that device}: the FIDO keys and hardware tokens of the plan."""
        out: dict[str, dict[str, str]] = {}
        for medium in self.media.values():
            for account_id, serial in medium.devices:
                out.setdefault(account_id, {})[serial] = medium.name
        return out


class _Lines:
    """Line numbers of ``[[table]]`` entries and their keys, for error messages (tomllib gives none)."""

    def __init__(self, text: str) -> None:
        self.headers: dict[str, list[int]] = {}
        self.keys: dict[tuple[str, int], dict[str, int]] = {}
        current: tuple[str, int] | None = None
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            header = re.match(r"^\[\[\s*([A-Za-z_]+)\s*\]\]", stripped) or re.match(r"^\[\s*([A-Za-z_]+)\s*\]", stripped)
            if header:
                table = header.group(1)
                self.headers.setdefault(table, []).append(number)
                current = (table, len(self.headers[table]) - 1)
                continue
            key = re.match(r"^([A-Za-z_]+)\s*=", stripped)
            if key and current is not None:
                self.keys.setdefault(current, {}).setdefault(key.group(1), number)

    def of(self, table: str, index: int = 0, key: str | None = None) -> int | None:
        lines = self.headers.get(table, [])
        if index >= len(lines):
            return None
        if key is not None:
            return self.keys.get((table, index), {}).get(key, lines[index])
        return lines[index]


def share_number(item: str) -> int | None:
    """K of a ``key-share:K`` item (1-16), else None."""
    match = re.fullmatch(r"key-share:([1-9][0-9]?)", item)
    return int(match.group(1)) if match and int(match.group(1)) <= 16 else None


def read_plan(path: Path) -> Plan:
    """Read and check a plan file; any problem is one InputError naming the line."""
    data = fsutil.read_bytes(path, "custody plan", limit=MAX_PLAN_BYTES,
                            missing="check the path, or write one with 'rootkeeper custody init PLAN'")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"custody plan {path} is not UTF-8 text: save it as UTF-8") from None
    return parse_plan(text, str(path))


def parse_plan(text: str, source: str) -> Plan:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        at = re.search(r"at line ([0-9]+)", str(exc))
        reason = re.sub(r"\s*\(at line [0-9]+, column [0-9]+\)", "", str(exc))
        raise InputError(f"{source}{f' line {at.group(1)}' if at else ''}: not valid TOML ({reason}): fix that line") from None
    lines = _Lines(text)

    def where(table: str, index: int = 0, key: str | None = None) -> str:
        number = lines.of(table, index, key)
        return f"{source} line {number}" if number else source

    def fail(table: str, index: int, key: str | None, message: str):
        raise InputError(f"{where(table, index, key)}: {message}")

    known_top = {"version", "stores", "policy", "site", "place", "medium", "custodian"}
    for key in raw:
        if key not in known_top:
            raise InputError(f"{source}: unknown table or key {shown(key)}: the plan has {', '.join(sorted(known_top))}")
    if raw.get("version", 1) != 1:
        raise InputError(f"{source}: plan version {shown(str(raw.get('version')))} is not 1: this rootkeeper reads version 1")

    def entries(table: str) -> list[dict]:
        value = raw.get(table, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise InputError(f"{where(table)}: write each {table} as a [[{table}]] table")
        return value

    def name_of(table: str, index: int, entry: dict, seen: dict) -> str:
        name = entry.get("name")
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            fail(table, index, "name", f"each [[{table}]] needs a name of letters, digits, '.', '_' or '-' (at most 64)")
        if name in seen:
            fail(table, index, "name", f"{table} {name!r} is defined twice (also line {seen[name]}): "
                                       "a name is one thing in one place; rename one")
        seen[name] = lines.of(table, index) or 0
        return name

    def strings(table: str, index: int, entry: dict, key: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            fail(table, index, key, f"{key} is a list of names, e.g. {key} = [\"a\", \"b\"]")
        return tuple(value)

    def allowed(table: str, index: int, entry: dict, keys: set[str]) -> None:
        for key in entry:
            if key not in keys:
                fail(table, index, key, f"[[{table}]] has no key {shown(key)}: it takes {', '.join(sorted(keys))}")

    sites: dict[str, int] = {}
    for index, entry in enumerate(entries("site")):
        allowed("site", index, entry, {"name", "description"})
        name_of("site", index, entry, sites)
    if not sites:
        raise InputError(f"{source}: the plan names no [[site]]: add at least one")

    places: dict[str, Place] = {}
    seen: dict[str, int] = {}
    for index, entry in enumerate(entries("place")):
        allowed("place", index, entry, {"name", "site", "offsite", "keyholders", "description"})
        name = name_of("place", index, entry, seen)
        site = entry.get("site")
        if site not in sites:
            fail("place", index, "site", f"place {name!r} is at site {shown(str(site))}, which no [[site]] defines")
        offsite = entry.get("offsite", False)
        if not isinstance(offsite, bool):
            fail("place", index, "offsite", "offsite is true or false")
        keyholders = entry.get("keyholders", 1)
        if not isinstance(keyholders, int) or isinstance(keyholders, bool) or not 1 <= keyholders <= 5:
            fail("place", index, "keyholders", "keyholders is how many custodians must come together to open it: 1-5")
        places[name] = Place(name, site, offsite, keyholders)

    custodian_names = {e.get("name") for e in entries("custodian") if isinstance(e, dict)}
    media: dict[str, Medium] = {}
    seen = {}
    for index, entry in enumerate(entries("medium")):
        allowed("medium", index, entry, {"name", "kind", "label", "place", "holder", "carries", "recipient", "path",
                                         "devices", "description"})
        name = name_of("medium", index, entry, seen)
        if name in places:
            fail("medium", index, "name", f"{name!r} names both a place and a medium: rename one")
        kind = entry.get("kind")
        if kind not in KINDS:
            fail("medium", index, "kind", f"medium {name!r} has kind {shown(str(kind))}: use one of {', '.join(KINDS)}")
        place, holder = entry.get("place"), entry.get("holder")
        if isinstance(place, list):
            fail("medium", index, "place", f"medium {name!r} is at {len(place)} places: a medium is at one place; "
                                           "list each copy as its own medium")
        carries = strings("medium", index, entry, "carries")
        devices: tuple[tuple[str, str], ...] = ()
        if kind in MFA_KINDS:
            devices = _devices(entry.get("devices"), MFA_KINDS[kind], name,
                               lambda message, at=index: fail("medium", at, "devices", message))
            if carries and carries != ("mfa-device",):
                fail("medium", index, "carries", f"{kind} {name!r} is a root MFA factor itself: it carries nothing "
                                                 "else (leave carries out)")
            carries = ("mfa-device",)
            if (place is None) == (holder is None) or (holder is not None and holder not in custodian_names):
                fail("medium", index, "place", f"{kind} {name!r} is either at a place (place = a [[place]]) or with "
                                               "a custodian who carries it (holder = a [[custodian]]), not both")
            if place is not None and place not in places:
                fail("medium", index, "place", f"medium {name!r} is at place {shown(str(place))}, which no [[place]] "
                                               "defines")
        elif entry.get("devices") is not None:
            fail("medium", index, "devices", f"only a security-key or hardware-token lists devices, not a {kind}")
        elif "mfa-device" in carries:
            fail("medium", index, "carries", f"mfa-device is a security key or token itself: make {name!r} a "
                                             "[[medium]] of kind security-key or hardware-token")
        if kind in HELD and (place is not None or holder not in custodian_names):
            fail("medium", index, "holder", f"{kind} {name!r} needs holder = a [[custodian]]'s name (who carries "
                                            "it), and no place")
        if kind in MFA_KINDS:
            pass  # checked above: its devices, at a place or with a holder
        elif kind == "device":
            for item in carries:
                if item not in DEVICE_ARTEFACTS:
                    fail("medium", index, "carries", f"device {name!r} can carry {', '.join(DEVICE_ARTEFACTS)}, "
                                                     f"not {shown(item)}")
        elif kind == "memory":
            for item in carries:
                if item not in SECRETS:
                    fail("medium", index, "carries", f"memory {name!r} can carry only {', '.join(SECRETS)}, not {shown(item)}")
        else:
            if place not in places:
                fail("medium", index, "place", f"medium {name!r} is at place {shown(str(place))}, which no [[place]] "
                                               "defines")
            if holder is not None:
                fail("medium", index, "holder", f"only a memory has a holder; medium {name!r} is at a place")
            for item in carries:
                if item == "key-share":
                    fail("medium", index, "carries", f"medium {name!r} carries a key share without its number: write "
                                                     "key-share:K (K = the share's number, 1 to N, as printed on it); "
                                                     "copies of one share carry the same number")
                artefact = share_number(item) and "key-share" or item
                if artefact not in ARTEFACTS:
                    fail("medium", index, "carries", f"medium {name!r} carries {shown(item)}: an artefact is one of "
                                                     f"{', '.join(ARTEFACTS)} (secrets a person knows go in knows)")
                if artefact in PAPER_ONLY and kind not in ("paper", "usb", "share"):
                    fail("medium", index, "carries", f"{artefact} is printed or a file, not on a {kind}")
        if len(set(carries)) != len(carries):
            fail("medium", index, "carries", f"medium {name!r} lists an artefact twice")
        recipient = entry.get("recipient")
        if recipient is not None:
            if "seeds-identity" not in carries:
                fail("medium", index, "recipient", f"medium {name!r} names a recipient but carries no seeds-identity: "
                                                   "recipient is the public key of the identity it carries")
            recipient = _recipient(recipient, lambda message, at=index: fail("medium", at, "recipient", message))
        path = entry.get("path")
        if path is not None and (kind in ("paper", "memory", *MFA_KINDS) or not isinstance(path, str) or not path.strip()):
            fail("medium", index, "path", f"path is where medium {name!r} is mounted (a directory), for a usb drive, a "
                                          "share or a device")
        media[name] = Medium(name, kind, str(entry.get("label", name)), place, holder, carries, recipient, path,
                             devices)

    custodians: dict[str, Custodian] = {}
    seen = {}
    for index, entry in enumerate(entries("custodian")):
        allowed("custodian", index, entry, {"name", "reaches", "knows", "description"})
        name = name_of("custodian", index, entry, seen)
        reaches = strings("custodian", index, entry, "reaches")
        for item in reaches:
            if item not in places and item not in media:
                fail("custodian", index, "reaches", f"custodian {name!r} reaches {shown(item)}, which is neither a "
                                                    "[[place]] nor a [[medium]] of the plan")
        knows = strings("custodian", index, entry, "knows")
        for item in knows:
            if item not in SECRETS:
                fail("custodian", index, "knows", f"custodian {name!r} knows {shown(item)}: a secret is one of "
                                                  f"{', '.join(SECRETS)}")
        custodians[name] = Custodian(name, reaches, knows)

    stores = raw.get("stores", {})
    if not isinstance(stores, dict):
        raise InputError(f"{where('stores')}: [stores] is a table")
    allowed("stores", 0, stores, {"vault_key_file", "seeds_key", "shares_threshold", "shares_recipient"})
    vault_key_file = stores.get("vault_key_file", False)
    seeds_key = stores.get("seeds_key", "identity")
    threshold = stores.get("shares_threshold")
    if not isinstance(vault_key_file, bool):
        fail("stores", 0, "vault_key_file", "vault_key_file is true or false")
    if seeds_key not in ("identity", "passphrase"):
        fail("stores", 0, "seeds_key", "seeds_key is \"identity\" (age X25519) or \"passphrase\"")
    shares = len({share_number(a) for m in media.values() for a in m.carries if share_number(a)})
    if shares and threshold is None:
        fail("stores", 0, "shares_threshold", f"the plan has {shares} key shares: give shares_threshold = M")
    if threshold is not None and (not isinstance(threshold, int) or not 1 <= threshold <= 16 or seeds_key != "identity"):
        fail("stores", 0, "shares_threshold", "shares_threshold is 1-16, and key shares split an identity "
                                              "(seeds_key = \"identity\")")

    policy_raw = raw.get("policy", {})
    if not isinstance(policy_raw, dict):
        raise InputError(f"{where('policy')}: [policy] is a table")
    allowed("policy", 0, policy_raw, {"min_copies", "offsite_required", "two_person_rule", "keep_sites_apart"})
    min_copies = policy_raw.get("min_copies", {"vault": 2, "seeds": 2})
    if not isinstance(min_copies, dict) or not all(k in ARTEFACTS and isinstance(v, int) and 0 <= v <= 100
                                                    for k, v in min_copies.items()):
        fail("policy", 0, "min_copies", f"min_copies maps artefacts ({', '.join(ARTEFACTS)}) to a number, "
                                        "e.g. min_copies = { vault = 2, seeds = 2 }")
    flags = {}
    for key, default in (("offsite_required", True), ("two_person_rule", True), ("keep_sites_apart", False)):
        flags[key] = policy_raw.get(key, default)
        if not isinstance(flags[key], bool):
            fail("policy", 0, key, f"{key} is true or false")
    shares_recipient = stores.get("shares_recipient")
    if shares_recipient is not None:
        if not threshold:
            fail("stores", 0, "shares_recipient", "shares_recipient is the public key the key shares rebuild: it goes "
                                                  "with shares_threshold")
        shares_recipient = _recipient(shares_recipient, lambda message: fail("stores", 0, "shares_recipient", message))
    policy = Policy(dict(min_copies), **flags)
    return Plan(source, list(sites), places, media, custodians, policy, vault_key_file, seeds_key, threshold,
                shares_recipient)


def _devices(value: object, device_kind: str, name: str, fail) -> tuple[tuple[str, str], ...]:
    """A security key's or token's ``devices = { "111122223333" = "arn:aws:iam::111122223333:u2f/root/..." }``:
    each account it is registered with, and the serial AWS shows for it there."""
    from ..rules.accounts import is_account_id
    from ..rules.devices import check_serial

    example = ('devices = { "111122223333" = "arn:aws:iam::111122223333:u2f/root/yubikey-1-ABCD" }'
               if device_kind == "fido" else 'devices = { "111122223333" = "GAKT12345678" }')
    if not isinstance(value, dict) or not value:
        fail(f"{name!r} lists the accounts it is registered with and the serial AWS shows for each: {example}")
    out = []
    for account_id, serial in value.items():
        if not is_account_id(account_id) or not isinstance(serial, str):
            fail(f"{name!r}: each device is a 12-digit account id = the serial AWS shows, e.g. {example}")
        problem = check_serial(serial.strip(), device_kind, account_id)
        if problem:
            fail(f"{name!r}, account {account_id}: {problem}")
        out.append((account_id, serial.strip()))
    if device_kind == "hardware" and len({serial for _a, serial in out}) != len(out):
        fail(f"{name!r}: a hardware token is assigned to one user only (AWS): one account per serial")
    return tuple(sorted(out))


def _recipient(value: object, fail) -> str:
    """An age X25519 public key (as 'seeds recipients list' and every key share print it)."""
    from ..stores.seeds.store import validate_recipient

    try:
        return validate_recipient(str(value)) if isinstance(value, str) else fail("a recipient is an age1... string")
    except InputError as exc:
        fail(exc.message)


STORES = ("vault", "seeds")  # the artefacts a drill opens


def store_copies(plan: Plan) -> list[Medium]:
    """The plan's media that hold a copy of the vault or the seed store (files, not paper nor memory)."""
    return [m for m in plan.media.values() if m.kind not in ("paper", "memory") and set(STORES) & set(m.carries)]


def medium_named(plan: Plan, name: str) -> Medium:
    """The plan's medium ``name``, with the path it is mounted at."""
    medium = plan.media.get(name)
    if medium is None:
        raise InputError(f"custody plan {plan.path} has no medium {shown(name)}: its media are "
                         f"{', '.join(sorted(plan.media)) or 'none'}")
    if not medium.path:
        raise InputError(f"medium {name} of custody plan {plan.path} has no path: add path = \"/media/...\" (where it "
                         "is mounted) to its [[medium]], or give the directory itself")
    return medium


def device_lines(plan: Plan, *, where: bool) -> list[str]:
    """The plan's FIDO keys and hardware tokens, one line each, for a printed sheet: name, kind, the accounts they
    are root's MFA for (a token's printed serial), and, with ``where``, where each lives. Never a secret."""
    from ..rules.devices import LABELS

    out = []
    for medium in plan.media.values():
        if medium.kind not in MFA_KINDS:
            continue
        kind = LABELS[MFA_KINDS[medium.kind]]
        serial = f", serial {medium.devices[0][1]}" if medium.kind == "hardware-token" else ""
        accounts = ", ".join(account for account, _serial in medium.devices)
        place = ""
        if where:
            place = (f"; at {medium.place} (site {plan.places[medium.place].site})" if medium.place
                     else f"; carried by {medium.holder}")
        out.append(f"{medium.label} ({kind}{serial}): root MFA of {accounts}{place}")
    return out


def vault_locations(path: Path, most: int) -> list[str]:
    """Where the vault's copies live (at most ``most``), for the emergency sheet: each medium of the plan at
    ``path`` that carries the vault, with its place and site."""
    plan = read_plan(path)
    out = []
    for medium in plan.media.values():
        if "vault" in medium.carries and medium.place:
            place = plan.places[medium.place]
            out.append(f"{medium.label} ({medium.kind}) at {place.name}, site {place.site}"
                       f"{', off-site' if place.offsite else ''}")
    if not out:
        raise InputError(f"custody plan {path} puts the vault on no medium: add the media that carry it")
    return out[:most]
