"""The organization against the vault and the seed store: a pure rule, no AWS and no files.

The caller gives the organization's accounts (``accounts.iter_accounts``), the custody
index of the opened stores, and the accounts that are rootless by record
(``rootops.rootless_by_record``).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from ..workflows.listing import CustodyIndex
from .accounts import OrgAccount


@dataclass
class Finding:
    kind: str
    account_id: str
    name: str
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, "account_id": self.account_id or None, "account_name": self.name or None,
                "detail": self.detail, "fix": self.fix or None}


KINDS = ("journal-unverified", "not-enrolled", "half-retired", "no-password", "no-seed", "name-drift", "email-drift", "gone",
         "closed", "not-active", "state-unknown")


def reconcile(accounts: list[OrgAccount], custody: CustodyIndex, rootless: set[str] | None) -> list[Finding]:
    """Findings, account by account in the organization's order, then custody of accounts not in it.

    ``rootless``: accounts whose root credentials the journal says were deleted
    (``org delete-root``); with no custody, they need none. None: the journal does not
    verify, so no record counts, and that is a finding of its own.
    """
    out: list[Finding] = []
    if rootless is None:
        out.append(Finding("journal-unverified", "", "", "the journal does not verify: no record of deleted root "
                           "credentials is trusted, so such accounts show as not enrolled",
                           "rootkeeper journal verify"))
        rootless = set()
    by_id = {a.account_id: a for a in accounts}
    entries, seeds = custody.entries, custody.seeds
    retired = {e.account_id for e in custody.retired}
    for a in accounts:
        entry, seed = entries.get(a.account_id), seeds.get(a.account_id)
        if a.state is None:  # never read as active, nor as closed: nothing can be said of it
            out.append(Finding("state-unknown", a.account_id, a.name, "AWS's answer has no State for the account: "
                               "whether it is active, and so needs custody, cannot be told",
                               "re-run; upgrade boto3 (1.40.27 or later) if it persists"))
            continue
        if not a.active:
            continue
        enroll = f"rootkeeper enroll {a.account_id} --name {shlex.quote(a.name)} --email {shlex.quote(a.email)}"
        if entry is None and seed is None:
            if a.account_id in rootless:
                continue
            if a.management:  # AssumeRoot never reaches it: its root user is kept
                out.append(Finding("not-enrolled", a.account_id, a.name, "no vault entry and no seed", enroll))
            else:  # Organizations creates members without root credentials: their record is "rootless"
                out.append(Finding("not-enrolled", a.account_id, a.name,
                                   "no vault entry, no seed, and no record that it is rootless: a member created "
                                   "without root credentials is recorded so by 'org delete-root' (the dry run says "
                                   f"what it would delete: nothing there; then run it without); to keep a root user "
                                   f"instead: {enroll}", f"rootkeeper org delete-root {a.account_id} --dry-run"))
            continue
        if entry is None and a.account_id in retired:
            out.append(Finding("half-retired", a.account_id, a.name, "the vault entry is retired, the seed is not "
                               "(an interrupted or --vault-only retirement)", f"rootkeeper retire {a.account_id}"))
        elif entry is None:
            out.append(Finding("no-password", a.account_id, a.name, "a seed but no vault entry", f"{enroll} --step password"))
        elif seed is None:
            out.append(Finding("no-seed", a.account_id, a.name, "a vault entry but no seed",
                               f"rootkeeper enroll {a.account_id} --step mfa"))
        for where, held in (("vault", entry), ("seed store", seed)):
            if held is None:
                continue
            held_name, held_email = (held.name if where == "vault" else held.account_name), held.email
            if held_name != a.name:
                out.append(Finding("name-drift", a.account_id, a.name,
                                   f"the {where} says {held_name!r}, the organization {a.name!r}",
                                   "rename the entry in KeePassXC" if where == "vault" else "re-import the seed row"))
            if held_email.lower() != a.email.lower():
                out.append(Finding("email-drift", a.account_id, a.name,
                                   f"the {where} says {held_email!r}, the organization {a.email!r}",
                                   "correct the e-mail in KeePassXC" if where == "vault" else "re-import the seed row"))
    for account_id in sorted(set(entries) | set(seeds)):
        a = by_id.get(account_id)
        name = entries[account_id].name if account_id in entries else seeds[account_id].account_name
        if a is None:
            out.append(Finding("gone", account_id, name, "custodied, but not in the organization",
                               f"rootkeeper retire {account_id}"))
        elif a.state is not None and not a.active:
            out.append(Finding("closed" if a.state in ("CLOSED", "PENDING_CLOSURE") else "not-active",
                               account_id, name, f"custodied, but the account is {a.state}",
                               f"rootkeeper retire {account_id}" if a.state == "CLOSED" else
                               f"keep custody while it is {a.state} (its root user still exists); "
                               f"'rootkeeper retire {account_id}' once it is CLOSED"))
    return out

