"""``custody check``: the plan proven against the threat model, each finding with its exact chain.

What recovers what (pure rules):

- the **passwords** need a vault copy and its master password (known by a custodian, or written by
  hand on a printed emergency sheet: one on paper counts, a PDF of it does not), and the vault's
  key file when the plan says it has one;
- the **seeds** need a seed sheet, or a seed-store copy and its key: the passphrase, or the age
  identity (a copy of it, or ``shares_threshold`` key shares);
- root's **second factor** is the seeds, or a FIDO security key or hardware TOTP token itself (a medium
  of kind ``security-key`` or ``hardware-token``): a medium, place, custodian or site that holds the
  passwords and either one holds both. A key is one object: it has no copy, so the off-site and copies
  rules count each key as its own copy of ``mfa-device`` (AWS advises more than one device).

Rules (``RULES``): no single medium, place or custodian (nor site, when the policy keeps sites apart)
recovers both; the whole plan recovers both, and still does after the loss of any one site; every
artefact has an off-site copy (when required) and at least the policy's number of copies; under the
two-person rule no custodian alone reaches the key-share threshold (distinct shares, by number: copies of
one share are one share), nor a copy of the identity the shares split.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .plan import MFA_KINDS, Medium, Plan, share_number

RULES = {
    "one-medium-both": "T1/T2: no single medium gives both the passwords and the seeds",
    "one-place-both": "T1/T2: no single place gives both the passwords and the seeds",
    "one-custodian-both": "T3: no single custodian can reach both the passwords and the seeds",
    "one-site-both": "keep sites apart: no single site gives both the passwords and the seeds",
    "unrecoverable": "T4/T5: the plan as a whole recovers the passwords and the seeds",
    "site-loss": "T5: losing any one site leaves the passwords and the seeds recoverable",
    "no-offsite-copy": "T5: every artefact has a copy at an off-site place",
    "too-few-copies": "T4: every artefact has at least the policy's number of copies",
    "two-person": "two-person rule: no custodian alone reaches the key-share threshold, nor the identity they split",
    "unreached": "a place that needs several keyholders is reached by that many custodians",
    "key-unplaced": "T2: every key that opens the seed store is placed by the plan (an identity on a medium, "
                    "or the key shares)",
    "key-not-recipient": "T4: every key the plan counts on opens the seed store (it is one of its recipients)",
    "key-kind": "T4: the plan opens the stores the way they are opened (passphrase or identities; key file)",
}


@dataclass(frozen=True)
class Item:
    """One thing an actor can use: an artefact on a medium, or a secret someone knows."""

    what: str  # an artefact or a secret
    medium: str | None  # None: a secret known by heart
    text: str  # how the chain says it
    printed: bool = False  # on paper (an emergency sheet on paper has its master password written on it)
    share: int | None = None  # a key share's number: copies of one share are one share


@dataclass
class Finding:
    rule: str
    subject: str  # "custodian alice", "place office-safe", "site hq", "vault"
    message: str
    chain: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)  # the media on the chain (drawn red)
    custodian: str | None = None

    def public(self) -> dict:
        return {"rule": self.rule, "subject": self.subject, "message": self.message, "chain": self.chain,
                "media": self.media}


def _items(plan: Plan, media: list[Medium]) -> list[Item]:
    out = []
    for medium in media:
        where = f" at {medium.place}" if medium.place else ""
        for what in medium.carries:
            share = share_number(what)
            if share is not None:
                out.append(Item("key-share", medium.name, f"key share {share} on {medium.name}{where}",
                                medium.kind == "paper", share))
            elif medium.kind == "memory":
                out.append(Item(what, medium.name, f"{medium.holder} knows the {_label(what)}"))
            elif medium.kind in MFA_KINDS:
                kept = where or f" with {medium.holder}"
                accounts = ", ".join(account for account, _serial in medium.devices)
                out.append(Item(what, medium.name, f"{medium.kind} {medium.name}{kept} (root MFA of {accounts})"))
            else:
                out.append(Item(what, medium.name, f"{_label(what)} on {medium.name}{where}", medium.kind == "paper"))
    return out


def _label(what: str) -> str:
    return {"vault-password": "vault master password", "seeds-passphrase": "seed-store passphrase",
            "vault-key": "vault key file", "seeds-identity": "seed-store identity", "emergency-sheet": "emergency sheet",
            "seed-sheet": "seed sheet", "key-share": "key share", "seeds": "seed store",
            "mfa-device": "root MFA device (security key or token)"}.get(what, what)


def passwords(plan: Plan, items: list[Item]) -> list[Item] | None:
    """The chain that recovers the passwords from ``items``, or None."""
    vault = next((i for i in items if i.what == "vault"), None)
    secret = next((i for i in items if i.what == "vault-password"), None)
    if secret is None:
        sheet = next((i for i in items if i.what == "emergency-sheet" and i.printed), None)
        if sheet is not None:
            secret = Item("vault-password", sheet.medium, f"master password written on the {sheet.text}")
    key = next((i for i in items if i.what == "vault-key"), None)
    if vault is None or secret is None or (plan.vault_key_file and key is None):
        return None
    return [vault, secret] + ([key] if plan.vault_key_file else [])


def seeds(plan: Plan, items: list[Item]) -> list[Item] | None:
    """The chain that recovers the seeds from ``items``, or None."""
    sheet = next((i for i in items if i.what == "seed-sheet"), None)
    if sheet is not None:
        return [sheet]
    store = next((i for i in items if i.what == "seeds"), None)
    if store is None:
        return None
    if plan.seeds_key == "passphrase":
        key = next((i for i in items if i.what == "seeds-passphrase"), None)
        return [store, key] if key else None
    identity = next((i for i in items if i.what == "seeds-identity"), None)
    if identity is not None:
        return [store, identity]
    shares = _shares(items)
    if plan.shares_threshold and len(shares) >= plan.shares_threshold:
        return [store, *shares[:plan.shares_threshold]]
    return None


def _shares(items: list[Item]) -> list[Item]:
    """Distinct key shares, by number: two copies of share 2 are one share."""
    seen: dict[int, Item] = {}
    for item in items:
        if item.what == "key-share" and item.share not in seen:
            seen[item.share] = item
    return [seen[k] for k in sorted(seen)]


def custodian_items(plan: Plan, name: str) -> list[Item]:
    """What custodian ``name`` can use alone: the media at the places they reach (not those of a place that
    needs more than one keyholder), the media they reach, their memory and their devices."""
    custodian = plan.custodians[name]
    media: dict[str, Medium] = {}
    for target in custodian.reaches:
        if target in plan.places:
            if plan.places[target].keyholders <= 1:
                media.update({m.name: m for m in plan.media_at(target)})
        elif target in plan.media:
            medium = plan.media[target]
            if medium.place is None or plan.places[medium.place].keyholders <= 1:
                media[target] = medium
    media.update({m.name: m for m in plan.media.values() if m.holder == name})  # their memory, devices, keys
    items = _items(plan, list(media.values()))
    items += [Item(s, None, f"{name} knows the {_label(s)}") for s in custodian.knows]
    return items


def second_factor(plan: Plan, items: list[Item]) -> list[Item] | None:
    """What passes root's MFA from ``items``: the seeds (``seeds``), or a FIDO key or hardware token itself."""
    return seeds(plan, items) or next(([i] for i in items if i.what == "mfa-device"), None)


def _both(plan: Plan, items: list[Item]) -> tuple[list[Item], list[Item]] | None:
    p, s = passwords(plan, items), second_factor(plan, items)
    return (p, s) if p is not None and s is not None else None


def _finding(rule: str, subject: str, chain: tuple[list[Item], list[Item]], custodian: str | None = None) -> Finding:
    items = chain[0] + chain[1]
    text = " + ".join(i.text for i in items)
    return Finding(rule, subject, f"{subject}: {text}", [i.text for i in items],
                   sorted({i.medium for i in items if i.medium}), custodian)


def check(plan: Plan) -> list[Finding]:
    findings: list[Finding] = []
    for medium in plan.media.values():
        chain = _both(plan, _items(plan, [medium]))
        if chain:
            findings.append(_finding("one-medium-both", f"medium {medium.name}", chain))
    for place in plan.places.values():
        chain = _both(plan, _items(plan, plan.media_at(place.name)))
        if chain:
            findings.append(_finding("one-place-both", f"place {place.name}", chain))
    for name in plan.custodians:
        chain = _both(plan, custodian_items(plan, name))
        if chain:
            findings.append(_finding("one-custodian-both", f"custodian {name}", chain, name))
    if plan.policy.keep_sites_apart:
        for site in plan.sites:
            media = [m for m in plan.media.values() if m.place and plan.places[m.place].site == site]
            chain = _both(plan, _items(plan, media))
            if chain:
                findings.append(_finding("one-site-both", f"site {site}", chain))

    everyone = _items(plan, list(plan.media.values()))
    everyone += [Item(s, None, f"{c.name} knows the {_label(s)}") for c in plan.custodians.values() for s in c.knows]
    for what, rule in (("passwords", passwords), ("seeds", seeds)):
        if rule(plan, everyone) is None:
            findings.append(Finding("unrecoverable", what, f"{what}: nothing in the plan recovers the {what}: "
                                    f"{_needs(plan, what)}"))
    for site in plan.sites:
        left = [i for i in everyone if i.medium is None or plan.media[i.medium].place is None
                or plan.places[plan.media[i.medium].place].site != site]
        for what, rule in (("passwords", passwords), ("seeds", seeds)):
            if rule(plan, everyone) is not None and rule(plan, left) is None:
                kept = set(left)
                gone = [i for i in everyone if i not in kept]
                lost = sorted({i.text for i in gone if _serves(i.what, what)})
                findings.append(Finding("site-loss", f"site {site}",
                                        f"losing site {site} leaves the {what} unrecoverable: it holds "
                                        f"{', '.join(lost) or 'what they need'}; {_needs(plan, what)}",
                                        lost, sorted({i.medium for i in gone if i.medium})))

    carried = [m for m in plan.media.values() if m.kind != "memory"]
    kinds = sorted({_kind(a) for m in carried for a in m.carries})  # key shares: one kind, whatever their number
    if plan.policy.offsite_required:
        for artefact in kinds:
            holders = [m for m in carried if artefact in map(_kind, m.carries)]
            if not any(m.place and plan.places[m.place].offsite for m in holders):  # a device is with its holder
                where = ", ".join(f"{m.name} at {m.place}" if m.place else f"{m.name} with {m.holder}" for m in holders)
                findings.append(Finding("no-offsite-copy", artefact, f"{_label(artefact)} has no off-site copy: "
                                        f"only {where}", [where], [m.name for m in holders]))
    for artefact, minimum in sorted(plan.policy.min_copies.items()):
        holders = [m for m in carried if artefact in map(_kind, m.carries)]
        if len(holders) < minimum:
            findings.append(Finding("too-few-copies", artefact, f"{_label(artefact)} has {len(holders)} "
                                    f"cop{'y' if len(holders) == 1 else 'ies'}, the policy asks for {minimum}"
                                    + (f": {', '.join(m.name for m in holders)}" if holders else ""),
                                    [m.name for m in holders], [m.name for m in holders]))
    if plan.policy.two_person_rule and plan.shares_threshold:
        for name in plan.custodians:
            reach = custodian_items(plan, name)
            identity = [i for i in reach if i.what == "seeds-identity"]
            if identity:  # what the shares split, whole: one custodian alone decrypts the seed store
                findings.append(Finding("two-person", f"custodian {name}",
                                        f"custodian {name} alone reaches the seed store's identity, which the key "
                                        f"shares split: {' + '.join(i.text for i in identity)}",
                                        [i.text for i in identity], sorted({i.medium for i in identity if i.medium}),
                                        name))
                continue
            shares = _shares(reach)
            if len(shares) >= plan.shares_threshold:
                findings.append(Finding("two-person", f"custodian {name}",
                                        f"custodian {name} alone reaches {len(shares)} key shares (threshold "
                                        f"{plan.shares_threshold}): {' + '.join(i.text for i in shares)}",
                                        [i.text for i in shares], sorted({i.medium for i in shares if i.medium}), name))
    for place in plan.places.values():
        reached = sorted(c.name for c in plan.custodians.values() if place.name in c.reaches)
        if place.keyholders > 1 and len(reached) < place.keyholders and plan.media_at(place.name):
            findings.append(Finding("unreached", f"place {place.name}",
                                    f"place {place.name} opens only with {place.keyholders} keyholders together, and "
                                    f"{len(reached)} custodian(s) reach it ({', '.join(reached) or 'none'}): "
                                    f"{', '.join(m.name for m in plan.media_at(place.name))} cannot be reached",
                                    [], [m.name for m in plan.media_at(place.name)]))
    return findings


def _kind(artefact: str) -> str:
    return "key-share" if share_number(artefact) else artefact


def _serves(artefact: str, what: str) -> bool:
    return artefact in (("vault", "vault-key", "vault-password", "emergency-sheet") if what == "passwords"
                        else ("seeds", "seeds-identity", "seeds-passphrase", "seed-sheet", "key-share", "mfa-device"))


def _needs(plan: Plan, what: str) -> str:
    if what == "passwords":
        key = " and its key file" if plan.vault_key_file else ""
        return f"they need a vault copy, its master password (known, or on an emergency sheet){key}"
    key = ("the passphrase" if plan.seeds_key == "passphrase" else
           f"the identity{f' or {plan.shares_threshold} key shares' if plan.shares_threshold else ''}")
    return f"they need a seed sheet, or a seed-store copy and {key}"


def summary(plan: Plan) -> dict:
    return {"sites": len(plan.sites), "places": len(plan.places), "media": len(plan.media),
            "custodians": len(plan.custodians)}


def findings_run(plan: Plan, payload: dict, at: str, anchor: str, *, compared: bool, svg: str | None = None,
                 no_svg: str = ""):
    """The check's results for the finding formats: one per rule; ``svg``, the plan's picture for the page
    (``no_svg``: why there is none)."""
    from ..findings.results import Run, from_custody_check

    rules = {r: t for r, t in RULES.items() if r != "one-site-both" or plan.policy.keep_sites_apart}
    unseen = ([] if compared else [payload["stores_note"]]) + ([no_svg] if no_svg else [])
    counts = {k: payload[k] for k in ("sites", "places", "media", "custodians") if k in payload}
    return Run("custody-check", f"Custody plan {payload['plan']} against the threat model: rootkeeper custody check",
               at, from_custody_check(payload, rules), {**counts, "rules": len(rules)}, unseen, anchor,
               {"svg": svg} if svg else {})
