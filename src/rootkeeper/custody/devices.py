"""``custody add-device``: a FIDO security key or hardware TOTP token registered for root in the console, recorded
in the custody plan (the medium that is the key, and the serial AWS shows for it), journaled.

The plan is edited as text (its comments and layout stay): a medium of that name gains the account in its
``devices`` table, or a new ``[[medium]]`` is appended; the result is parsed again, all of it, before it is
written. Nothing of the key is secret: the serial is what the console's MFA list shows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InputError
from ..rules import devices
from ..storage import fsutil
from .plan import MFA_KINDS, parse_plan

if TYPE_CHECKING:
    from ..workspace import Workspace

# What the console asks, in order (IAM User Guide: "Enable a passkey or security key for the root user",
# "Enable a hardware TOTP token for the root user").
STEPS = {
    "security-key": ["Sign in to the console as the root user of {account} (the password: rootkeeper password {account}).",
                     "Account menu > Security credentials > Multi-factor authentication (MFA) > Assign MFA device.",
                     "Device name: type {name} . Device: Passkey or security key. Next.",
                     "Insert the key and touch it when the browser asks; finish.",
                     "In the MFA list, copy the new device's identifier (arn:aws:iam::{account}:u2f/root/{name}-...)."],
    "hardware-token": ["Sign in to the console as the root user of {account} (the password: rootkeeper password {account}).",
                       "Account menu > Security credentials > Multi-factor authentication (MFA) > Assign MFA device.",
                       "Device name: type {name} . Device: Hardware TOTP token. Next.",
                       "Serial number: the one printed on the back of the token; then two consecutive codes from it.",
                       "The identifier AWS shows is that serial number."],
}


@dataclass
class Added:
    medium: str
    account_id: str
    serial: str
    created: bool  # a new [[medium]] was appended


def steps(kind: str, account_id: str, name: str) -> list[str]:
    """The console's steps for registering ``name`` (the medium's name, typed as the console's device name)."""
    if kind not in STEPS:
        raise InputError(f"--kind {kind!r} is not a key: use {' or '.join(STEPS)}")
    return [step.format(account=account_id, name=name) for step in STEPS[kind]]


def add_device(ws: Workspace, plan_path: Path, medium: str, account_id: str, serial: str, kind: str, *,
               place: str | None = None, holder: str | None = None) -> Added:
    """Record in the plan at ``plan_path`` that ``medium`` (a security key or token) is root's MFA device of
    ``account_id`` under ``serial``; a new medium needs its ``place`` or ``holder``."""
    serial = serial.strip()
    problem = devices.check_serial(serial, MFA_KINDS[kind], account_id)
    if problem:
        raise InputError(problem)
    original = fsutil.read_bytes(plan_path, "custody plan")
    text = original.decode("utf-8")
    plan = parse_plan(text, str(plan_path))
    existing = plan.media.get(medium)
    if existing is not None:
        if existing.kind != kind:
            raise InputError(f"medium {medium} of {plan_path} is a {existing.kind}, not a {kind}")
        if (account_id, serial) in existing.devices:
            raise InputError(f"{medium} is already recorded as root's MFA device of {account_id} ({serial})")
        if any(a == account_id for a, _s in existing.devices):
            raise InputError(f"{medium} already names another serial for {account_id}: edit the plan by hand")
        text = _add_to_table(text, medium, account_id, serial, plan_path)
        created = False
    else:
        if (place is None) == (holder is None):
            raise InputError(f"{plan_path} has no medium {medium}: say where the new key lives, with --place PLACE "
                             "(a place of the plan) or --holder NAME (the custodian who carries it)")
        where = f'place = "{place}"' if place else f'holder = "{holder}"'
        text = text.rstrip("\n") + (f'\n\n[[medium]]\nname = "{medium}"\nkind = "{kind}"\n{where}\n'
                                    f'devices = {{ "{account_id}" = "{serial}" }}\n')
        created = True
    checked = parse_plan(text, str(plan_path))  # the whole plan again: nothing half-written
    if (account_id, serial) not in checked.media[medium].devices:
        raise InputError(f"{plan_path}: the devices table of {medium} could not be rewritten; edit it by hand")
    event = {"event": "custody.add-device", "account_id": account_id, "kind": kind, "serial": serial,
             "plan_medium": medium, "plan": str(fsutil.real(plan_path))}
    ws.write_files([(plan_path, text.encode("utf-8"), original, 0o644)], event)
    return Added(medium, account_id, serial, created)


def _add_to_table(text: str, medium: str, account_id: str, serial: str, plan_path: Path) -> str:
    """``"ACCOUNT" = "SERIAL"`` added to the inline ``devices = { ... }`` of the [[medium]] named ``medium``."""
    blocks = list(re.finditer(r"(?ms)^\[\[\s*medium\s*\]\][^\n]*\n(.*?)(?=^\[|\Z)", text))
    for block in blocks:
        body = block.group(1)
        if not re.search(rf'(?m)^name\s*=\s*["\']{re.escape(medium)}["\']', body):
            continue
        table = re.search(r"(?m)^devices\s*=\s*\{([^}\n]*)\}", body)
        if table is None:
            raise InputError(f"{plan_path}: medium {medium} has no devices = {{ ... }} on one line: edit it by hand")
        inner = table.group(1).strip()
        joined = f'{inner}, "{account_id}" = "{serial}"' if inner else f'"{account_id}" = "{serial}"'
        start = block.start(1) + table.start(1)
        end = block.start(1) + table.end(1)
        return text[:start] + f" {joined} " + text[end:]
    raise InputError(f"{plan_path}: medium {medium} was not found as a [[medium]] block: edit it by hand")
