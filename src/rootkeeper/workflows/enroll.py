"""The enrollment ceremony, step by step, as the console makes an operator do it.

AWS lets a root user's MFA be set up only in the console. The operator:

1. requests a password reset for the root e-mail and follows the link;
2. sets the password that rootkeeper generated (saved in the vault *before* it is shown);
3. assigns a virtual MFA device and clicks "Show secret key";
4. gives rootkeeper the secret key (saved in the seed store *before* any code is shown);
5. types the two consecutive codes rootkeeper prints.

Each step can be done in its own command (a reset e-mail can take a while).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from ..errors import ExistsError, InputError
from ..rules import passwords, totp
from ..rules.accounts import Account, render_email, validate_account_id, validate_email, validate_name
from ..rules.redaction import shown
from ..stores.seeds import SeedRow, check_row
from ..workspace import Workspace

CONSOLE_STEPS = (
    "Open https://signin.aws.amazon.com/console, choose 'Root user', enter {email}, "
    "then 'Forgot password?' and follow the reset e-mail.",
    "Set the new password to the one shown below.",
    "Sign in as root, open 'Security credentials', 'Assign MFA device'; as 'Device name' type {device}; "
    "choose 'Authenticator app', then 'Show secret key'.",
    "Paste the secret key here.",
    "Type the two codes shown below into 'MFA code 1' and 'MFA code 2', then 'Add MFA'.",
)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# The console's "Device name" (AWS: 1-64 of letters, digits and + = , . @ - _): it names the ARN.
_DEVICE_NAME = re.compile(r"[A-Za-z0-9+=,.@_-]{1,64}")


def proposed_device_name(when: float | None = None) -> str:
    """The name the ceremony proposes for the console's 'Device name' field: dated, so that a
    replacement device is told apart from the one before."""
    return "rootkeeper-" + datetime.fromtimestamp(time.time() if when is None else when, UTC).strftime("%Y-%m-%d")


def device_arn(account_id: str, name: str) -> str:
    """The ARN AWS gives a root virtual MFA device named ``name``."""
    if not _DEVICE_NAME.fullmatch(name):
        raise InputError(f"--device-name {shown(name)} is not a device name AWS accepts: 1-64 letters, digits "
                         "and + = , . @ - _")
    return f"arn:aws:iam::{account_id}:mfa/{name}"


def default_device_arn(account_id: str) -> str:
    return device_arn(account_id, proposed_device_name())


def wants_password(step: str) -> bool:
    return step in ("all", "password")


def wants_seed(step: str) -> bool:
    return step in ("all", "mfa")


def check_fields(account_id: str, name: str | None, email: str | None) -> str:
    """The options checked before any file is opened; returns the account id."""
    account_id = validate_account_id(account_id)
    if name is not None:
        validate_name(name)
    if email is not None:
        validate_email(email)
    return account_id


def begin(ws: Workspace, account_id: str, name: str | None, email: str | None, *, step: str,
          seed: str | None, device_arn: str | None, replace_seed: bool, another: bool = False) -> Account:
    """Every refusal before anything is written: the account (from the options and, where it
    exists, the vault entry), the device ARN, and for the MFA step an existing seed."""
    account = resolve_account(ws, account_id, name, email, need_vault=wants_password(step) or name is None,
                              with_seeds=wants_seed(step))
    if device_arn is not None:
        check_seed_input(account, seed or "A" * 32, device_arn)
    if wants_seed(step):
        store = ws.seeds()  # opened now: refuse before anything is written
        kept = store.seeds_of(account.id)
        if another:
            if not kept:
                raise InputError(f"account {account.id} has no seed yet: enroll it without --another-device")
            store.refuse_another(account.id, device_arn or default_device_arn(account.id))
        elif kept and not replace_seed:
            raise ExistsError(
                f"account {account.id} already has an MFA seed (enrolled {kept[0].enrolled_at or 'earlier'}): "
                "give --replace-seed to replace it (the old row is kept, marked replaced), or --another-device to "
                "keep a second virtual MFA device beside it"
            )
        if seed is not None:
            row, _warnings = check_seed_input(account, seed, device_arn)
            store.refuse_foreign(row, f"account {account.id}")
            vault = ws.opened_vault()
            entry = vault.get(account.id) if vault is not None else None
            if entry is not None and vault.password(entry).upper() == row.seed:
                raise InputError("the seed given is the account's root password: paste the MFA secret key instead")
    return account


def resolve_account(ws: Workspace, account_id: str, name: str | None, email: str | None,
                    *, need_vault: bool, with_seeds: bool = False) -> Account:
    """The account to enroll, from the options and, where it exists, the vault entry (``with_seeds``: the
    seed store is needed too, so both can be opened before anything is asked for)."""
    account_id = validate_account_id(account_id)
    existing = ws.vault(with_seeds=with_seeds).get(account_id) if need_vault else None
    if name is None:
        if existing is None:
            raise InputError(f"account {account_id} is not in the vault yet: give --name NAME")
        name = existing.name
    name = validate_name(name)
    if existing is not None and existing.name != name:
        raise InputError(
            f"account {account_id} is in the vault as {existing.name!r}, not {name!r}: "
            "give the same --name, or rename the entry in KeePassXC first"
        )
    if email is None:
        email = existing.email if existing is not None and existing.email else render_email(
            ws.config.email_template, account_id, name)
    return Account(account_id, name, validate_email(email))


@dataclass
class PasswordStep:
    account: Account
    password: str
    created: bool


def save_password(ws: Workspace, account: Account) -> PasswordStep:
    """Generate and save the root password, unless the vault already has one."""
    vault = ws.vault()
    existing = vault.get(account.id)
    if existing is not None:  # (shown again on a terminal: refused if its entry holds a seed)
        return PasswordStep(account, vault.password(vault.usable(existing)), created=False)
    password = passwords.generate(ws.config.password_length, account.name, account.email)
    vault.add(account, password)
    ws.commit([vault], {"event": "enroll.password", "account_id": account.id, "account_name": account.name})
    return PasswordStep(account, password, created=True)


@dataclass
class SeedStep:
    row: SeedRow
    codes: tuple[str, str]
    at: float
    warnings: list[str]


def check_seed_input(account: Account, seed: str, device_arn: str | None) -> tuple[SeedRow, list[str]]:
    """Validate everything about the seed before any file is touched."""
    row = SeedRow(account.id, account.name, account.email, seed,
                  device_arn or default_device_arn(account.id), enrolled_at=now_iso())
    return check_row(row, f"account {account.id}")


CONSOLE_FRESH = 10  # seconds a first code should have left for a person to type it into the console


def console_codes(row: SeedRow, *, after: float | None = None, fresh: int = 0) -> tuple[tuple[str, str], float]:
    """Two consecutive codes for the console and the instant of the first, from now: never codes already
    shown (``after``: the instant of the first of the last pair shown; the next pair starts two windows
    later), and (``fresh``) a first code with at least that many seconds left; waits for them (not a
    retrieval: the seed is being enrolled, nothing is journaled)."""
    now = time.time()
    start = now if after is None else max(now, (int(after) // row.period + 2) * row.period)
    if fresh and totp.seconds_left(start, row.period) < fresh:
        start = (int(start) // row.period + 1) * row.period
    if start > now:
        time.sleep(start - now + 0.05)
        start = time.time()
    codes = totp.consecutive_codes(row.seed, start, digits=row.digits, period=row.period, algorithm=row.algorithm)
    return codes, start


def save_seed(ws: Workspace, account: Account, seed: str, device_arn: str | None, *,
              replace_seed: bool = False, another: bool = False, at: float | None = None, fresh: int = 0) -> SeedStep:
    """Save the seed, then compute the two consecutive codes for the console (``fresh``: the first with at
    least that many seconds left, waited for)."""
    row, warnings = check_seed_input(account, seed, device_arn)
    vault, vault_password = ws.opened_vault(), None
    if vault is not None and vault.get(account.id) is not None:
        vault_password = vault.password(vault.get(account.id))
    if vault_password and vault_password.upper() == row.seed:
        raise InputError("the seed given is the account's root password: paste the MFA secret key instead")
    store = ws.seeds()
    kept = store.seeds_of(account.id)
    saved = store.add(row, replace_existing=replace_seed, another=another, another_option="--another-device")
    existing = next((r for r in kept if r.state == "replaced"), None)  # the seed this one replaced
    if any(saved is r for r in kept):
        raise InputError(
            f"account {account.id} already has exactly this seed in the seed store: nothing to do "
            f"(get a code with 'rootkeeper code {account.id} --reason ...')"
        )
    event = {"event": "enroll.mfa", "account_id": account.id, "account_name": account.name,
             "device_arn": row.device_arn}
    if existing is not None:
        event["replaced"] = existing.enrolled_at or "earlier seed"
    elif kept:
        event["another_device"] = True
    ws.commit([store], event)
    if at is None:
        codes, when = console_codes(saved, fresh=fresh)
    else:
        codes, when = totp.consecutive_codes(row.seed, at, digits=row.digits, period=row.period,
                                             algorithm=row.algorithm), at
    return SeedStep(row, codes, when, warnings + store.warnings)
