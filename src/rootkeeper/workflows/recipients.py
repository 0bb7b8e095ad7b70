"""Who can read the seed store: its age recipients, pinned inside the store itself.

The store's plaintext names the fingerprint of the recipient set it is encrypted to
(``formats.PIN_PREFIX``), so a recipient added to rootkeeper.toml by whoever can edit
that file is refused at the next write instead of silently receiving every seed. The set
changes only here: re-encrypted, pinned, written to the configuration, and journaled,
all in one commit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ConfigError, InputError
from ..storage.config import ConfigFile
from ..storage.journal import reason_field
from ..stores.seeds.formats import recipients_fingerprint
from ..stores.seeds.store import validate_recipient

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass
class Recipients:
    configured: list[str]  # rootkeeper.toml's [seeds] recipients
    configured_fingerprint: str
    pinned: str | None  # the fingerprint the store names (None: a store written before pins)
    added: list[str]
    removed: list[str]
    stale_media: list[tuple[str, str]] = field(default_factory=list)  # (path, plan name) of media with an old copy

    @property
    def matches(self) -> bool:
        return self.pinned is None or self.pinned == self.configured_fingerprint


def _store_with_recipients(ws: Workspace):
    store = ws.seeds()
    if not store.recipients and store.pin is None:
        raise InputError(f"seed store {store.path} is encrypted to a passphrase: it has no recipients to list or change")
    return store


def recipients(ws: Workspace) -> Recipients:
    """The configured recipients and the store's pin (opening the store needs a custodian's identity)."""
    store = _store_with_recipients(ws)
    return Recipients(list(store.recipients), recipients_fingerprint(store.recipients), store.pin, [], [])


def change_recipients(ws: Workspace, add: list[str], remove: list[str], reason: str | None = None) -> Recipients:
    """Add and remove recipients: the store is re-encrypted and re-pinned, the configuration
    rewritten, and the change journaled, together. The configured set must be the pinned one."""
    if ws.config.path is None:
        raise ConfigError("the recipients live in rootkeeper.toml: run where it is, or give --config FILE")
    store = _store_with_recipients(ws)
    before = list(store.recipients)
    added = [r for r in dict.fromkeys(validate_recipient(a) for a in add) if r not in before]
    removed = [validate_recipient(r) for r in remove]
    unknown = [r for r in removed if r not in before]
    if unknown:
        raise InputError(f"{unknown[0]} is not a recipient of the seed store: see 'rootkeeper seeds recipients list'")
    after = [r for r in before if r not in removed] + added
    if not after:
        raise InputError("the seed store needs at least one recipient: add the new one before removing the last")
    old_pin = recipients_fingerprint(before)
    config = ConfigFile(ws.config.path)
    if store.pin is not None and old_pin != store.pin and recipients_fingerprint(after) == store.pin:
        # The store already holds exactly this change: the same command was interrupted after the store was
        # written and before rootkeeper.toml was. Finish it: only the configuration is left to write.
        config.set_recipients(after)
        ws.commit([config], {"event": "seeds.recipients", **reason_field(reason), "added": added, "removed": removed,
                             "before": f"sha256:{old_pin}", "after": f"sha256:{store.pin}", "finished": True})
        ws.config.recipients = after
        return Recipients(after, store.pin, store.pin, added, removed)
    store.check_recipients()
    if after == before:
        raise InputError("nothing to change: every recipient given is already in the list")
    config.set_recipients(after)
    store.set_recipients(after)
    ws.commit([store, config], {"event": "seeds.recipients", **reason_field(reason), "added": added, "removed": removed,
                                "before": f"sha256:{old_pin}", "after": f"sha256:{store.pin}"})
    ws.config.recipients = after
    return Recipients(after, store.pin, store.pin, added, removed, stale_media(ws))


def stale_media(ws: Workspace) -> list[tuple[str, str]]:
    """The media the journal records a copy of the seed store written to (``media write seeds``), as (where it
    was mounted, its name in the custody plan or ""): each was written before the recipient change just made,
    so it is encrypted to the old set."""
    return list(dict.fromkeys((str(r["medium"]), str(r.get("plan_medium") or "")) for r in ws.journal().records()
                              if r.get("event") == "media.write" and r.get("artefact") == "seeds" and r.get("medium")))
