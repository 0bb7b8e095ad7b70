"""Break glass for one account: its password or its current code, behind a stated reason.

The journal record is written *before* the secret is returned: a retrieval that
cannot be recorded does not happen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..errors import InputError
from ..rules import totp
from ..stores.seeds import SeedRow
from ..workspace import Workspace

if TYPE_CHECKING:
    from ..stores.vault import VaultEntry

# The tasks only the root user can do (AWS documentation, as listed in the write-up).
ROOT_TASKS = (
    "Change account settings: account name, e-mail address, root password or root access keys",
    "Restore IAM user permissions (the only IAM administrator revoked their own access)",
    "Close the AWS account",
    "Change or cancel the AWS Support plan",
    "View certain tax invoices",
    "Register as a seller in the Reserved Instance Marketplace",
    "Configure MFA delete on an Amazon S3 bucket",
    "Edit or delete an S3 bucket policy that denies everyone (invalid VPC or VPC endpoint id)",
    "Sign up for AWS GovCloud (US)",
)


def check_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise InputError("a reason is required: give --reason TEXT (what root is needed for, and a ticket)")
    if len(text) > 500 or "\n" in text:
        raise InputError("the reason must be one line of at most 500 characters")
    if not text.isprintable():
        raise InputError("the reason contains control characters (tab, carriage return, escape, direction marks): "
                         "type it as plain text")
    return text


@dataclass
class Retrieved:
    entry: VaultEntry
    password: str
    stamp: tuple[int, str]


def retrieve_password(ws: Workspace, ref: str, reason: str, how: str) -> Retrieved:
    reason = check_reason(reason)
    vault = ws.vault()
    entry = vault.find(ref)
    password = vault.password(entry)
    event = {"event": f"password.{how}", "account_id": entry.account_id, "account_name": entry.name, "reason": reason}
    if not entry.account_id:  # an entry added by hand, found by its title
        del event["account_id"]
        event["unrecognised_entry"] = True
    stamp = ws.record(event)[0]
    return Retrieved(entry, password, stamp)


@dataclass
class Code:
    row: SeedRow
    code: str
    seconds_left: int
    at: float
    stamp: tuple[int, str]
    devices: int = 1  # how many virtual MFA devices (seeds) the account has: with several, the console asks which


MIN_SECONDS_LEFT = 3  # a code with less left cannot be typed in time: the next one is waited for


def current_code(ws: Workspace, ref: str, reason: str, at: float | None = None, *, fresh: int = 0,
                 device: str | None = None) -> Code:
    """The code of ``ref`` at ``at`` (None: now), of its seed of ``device`` (a device name or ARN; None: its
    first). Now, never one with fewer than ``MIN_SECONDS_LEFT`` seconds left, nor (``fresh``) fewer than that:
    the next one is waited for (never for a given time)."""
    reason = check_reason(reason)
    if fresh and at is not None:
        raise InputError("--fresh waits for the next code from now: it does not go with --at")
    store = ws.seeds()
    rows = store.find_all(ref)
    row = rows[0] if device is None else store.find(rows[0].account_id, device)
    if at is None:
        at = time.time()
        if fresh > row.period:
            raise InputError(f"--fresh {fresh} is longer than the code's period ({row.period} s): give 1-{row.period}")
        fresh = max(fresh, min(MIN_SECONDS_LEFT, row.period - 1))
        if totp.seconds_left(at, row.period) < fresh:
            time.sleep(totp.seconds_left(at, row.period) + 0.05)
            at = time.time()
    code = totp.code(row.seed, at, digits=row.digits, period=row.period, algorithm=row.algorithm)
    stamp = ws.record({"event": "code", "account_id": row.account_id, "account_name": row.account_name,
                       **({"device_arn": row.device_arn} if row.device_arn else {}), "reason": reason,
                       "at": int(at)})[0]
    return Code(row, code, totp.seconds_left(at, row.period), at, stamp, len(rows))


def rotate(ws: Workspace, ref: str, reason: str | None = None) -> tuple[VaultEntry, str]:
    reason = check_reason(reason) if reason is not None else None
    vault = ws.vault()
    entry = vault.find(ref)
    from ..rules import passwords

    new = passwords.generate(ws.config.password_length, entry.name, entry.email)
    vault.rotate(entry, new)
    event = {"event": "rotate", "account_id": entry.account_id, "account_name": entry.name}
    if reason is not None:
        event["reason"] = reason
    ws.commit([vault], event)
    return entry, new
