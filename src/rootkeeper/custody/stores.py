"""The plan against the real stores: the keys the plan places are the keys that open the seed store.

A plan can pass every rule while describing stores that do not exist: a seed store encrypted to a
recipient whose identity sits on no medium of the plan, an identity the plan counts on that the store
was never encrypted to, a passphrase store planned as identities, a vault key file the plan forgets.
``compare`` (pure) turns those into findings; ``gather`` reads the facts from the configured stores:
the seed store's age header (passphrase or recipients), its recipients (rootkeeper.toml's, checked
against the fingerprint pinned inside the store when its secret is given as a file or in the
environment; never a prompt), and whether the vault has a key file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .check import Finding
from .plan import Plan

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass
class StoreFacts:
    seeds: str  # the seed store's path
    passphrase: bool  # opened by a passphrase (its age header), not by identities
    recipients: list[str]  # the recipients it is encrypted to (the configuration's)
    pin_checked: bool | None  # True: the store's pin is theirs; False: it is not; None: the store was not opened
    vault_key_file: bool | None  # the vault has a key file (the configuration names one); None: no vault configured
    not_opened: str = ""  # why the pin was not checked

    def public(self) -> dict:
        return {"seeds": self.seeds, "seeds_key": "passphrase" if self.passphrase else "identity",
                "recipients": len(self.recipients), "pin_checked": self.pin_checked,
                "vault_key_file": self.vault_key_file}


def placed_keys(plan: Plan) -> dict[str, str]:
    """Public key -> where the plan places its identity (a medium's, or the key shares')."""
    keys: dict[str, str] = {}
    for medium in plan.media.values():
        if medium.recipient:
            keys.setdefault(medium.recipient, f"the identity on {medium.name}")
    if plan.shares_recipient:
        keys.setdefault(plan.shares_recipient, f"the identity the {plan.shares_threshold}-of-N key shares rebuild")
    return keys


def compare(plan: Plan, facts: StoreFacts) -> list[Finding]:
    findings: list[Finding] = []
    if plan.vault_key_file != facts.vault_key_file and facts.vault_key_file is not None:
        findings.append(Finding("key-kind", "vault",
                                f"the plan says the vault {'has' if plan.vault_key_file else 'has no'} key file, and the "
                                f"configured vault {'has one' if facts.vault_key_file else 'has none'}: set "
                                f"vault_key_file = {'true' if facts.vault_key_file else 'false'} in [stores]"))
    planned_passphrase = plan.seeds_key == "passphrase"
    if planned_passphrase != facts.passphrase:
        findings.append(Finding("key-kind", "seed store",
                                f"the plan opens the seed store with {'a passphrase' if planned_passphrase else 'identities'}, "
                                f"and {facts.seeds} is encrypted to {'a passphrase' if facts.passphrase else 'recipients'}: "
                                f"set seeds_key = \"{'passphrase' if facts.passphrase else 'identity'}\" in [stores]"))
        return findings
    if facts.passphrase:
        return findings
    if facts.pin_checked is False:
        findings.append(Finding("key-unplaced", "seed store",
                                f"{facts.seeds} is not encrypted to the configured recipients (its pin differs): which "
                                "keys open it is not known; see 'rootkeeper seeds recipients list'"))
        return findings
    placed = placed_keys(plan)
    for recipient in facts.recipients:
        if recipient not in placed:
            findings.append(Finding("key-unplaced", "seed store",
                                    f"{facts.seeds} is encrypted to {recipient}, whose identity the plan places on no "
                                    f"medium: a key nobody accounts for opens every seed; put recipient = "
                                    f"\"{recipient}\" on the medium that holds it, or remove it ('rootkeeper seeds "
                                    f"recipients remove {recipient}')", [recipient]))
    for key, where in placed.items():
        if key not in facts.recipients:
            media = [m.name for m in plan.media.values() if m.recipient == key]
            findings.append(Finding("key-not-recipient", "seed store",
                                    f"{where} ({key}) is not a recipient of {facts.seeds}: it opens no copy written "
                                    f"since; add it ('rootkeeper seeds recipients add {key}'), or fix the plan",
                                    [key], media))
    for medium in plan.media.values():
        if "seeds-identity" in medium.carries and not medium.recipient:
            findings.append(Finding("key-unplaced", f"medium {medium.name}",
                                    f"medium {medium.name} carries a seed-store identity and does not say whose: give "
                                    "recipient = its public key (age-keygen -y FILE)", [], [medium.name]))
    if plan.shares_threshold and not plan.shares_recipient:
        findings.append(Finding("key-unplaced", "key shares",
                                "the plan's key shares do not say which identity they rebuild: give shares_recipient = "
                                "the public key printed on every share, in [stores]"))
    return findings


def gather(ws: Workspace) -> StoreFacts | None:
    """The facts of the configured stores; None when no seed store is configured or there is none."""
    from ..errors import RootkeeperError
    from ..storage.settings import SECRETS
    from ..stores.seeds.store import to_passphrase

    settings = ws.settings
    if settings.seeds is None or not settings.seeds.is_file():
        return None
    with open(settings.seeds, "rb") as handle:
        passphrase = to_passphrase(handle.read(512))
    secret = (settings.seeds_passphrase_file or os.environ.get(SECRETS["seed-store passphrase"]) if passphrase
              else settings.seeds_identity or settings.seeds_shares)
    recipients, pin_checked, why = list(ws.config.recipients), None, ""
    if passphrase:
        recipients = []
    elif not secret:
        why = "no identity given (--seeds-identity or --seeds-shares): the configured recipients were compared"
    else:
        try:
            store = ws.seeds()
        except RootkeeperError as exc:
            why = f"the seed store did not open ({exc.message}): the configured recipients were compared"
        else:
            from ..stores.seeds.formats import recipients_fingerprint

            pin_checked = store.pin is None or store.pin == recipients_fingerprint(store.recipients)
            recipients = list(store.recipients)
    vault_key = None if settings.vault is None else settings.vault_key_file is not None
    return StoreFacts(str(settings.seeds), passphrase, recipients, pin_checked, vault_key, why)
