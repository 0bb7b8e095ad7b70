"""Root MFA devices as AWS names them, and what custody knows of them (pure).

AWS lets a root user hold up to 8 MFA devices of any kind (IAM User Guide, "Enable a virtual MFA device /
a FIDO security key / a hardware TOTP token for the root user"), and names each by its serial number:

- a **virtual** device (an authenticator app): ``arn:<partition>:iam::<account>:mfa/<device name>``; its seed is
  what the seed store keeps;
- a **FIDO** security key or passkey: ``arn:<partition>:iam::<account>:u2f/root/<name>-<suffix>``;
- a **hardware TOTP** token: its bare serial, as printed on the token (``GAKT12345678``).

``ListVirtualMFADevices`` (all a cross-account role can read of root) lists virtual devices only; the root
session's ``ListMFADevices`` lists every kind. With a single device AWS's own lost-MFA process lets the root
e-mail and the account's contact phone sign in without it, so AWS advises more than one.
"""

from __future__ import annotations

import re

KINDS = ("virtual", "fido", "hardware")
MAX_DEVICES = 8  # AWS's limit of MFA devices per root user
LABELS = {"virtual": "virtual MFA", "fido": "FIDO security key", "hardware": "hardware TOTP token"}
_VIRTUAL = re.compile(r"arn:aws(?:-[a-z]+)*:iam::([0-9]{12}):mfa/[\w+=,.@-]{1,64}")
_FIDO = re.compile(r"arn:aws(?:-[a-z]+)*:iam::([0-9]{12}):u2f/root/[\w+=,.@/-]{1,256}")
_HARDWARE = re.compile(r"[\w+=,.@:/-]{9,256}")  # IAM's serialNumberType; a bare serial has no ':'


def kind(serial: str) -> str:
    """The kind of the device AWS names ``serial``: virtual, fido or hardware."""
    if _VIRTUAL.fullmatch(serial):
        return "virtual"
    if _FIDO.fullmatch(serial):
        return "fido"
    return "hardware"


def account_of(serial: str) -> str | None:
    """The account an ARN-named device belongs to (None for a hardware token's bare serial)."""
    found = _VIRTUAL.fullmatch(serial) or _FIDO.fullmatch(serial)
    return found.group(1) if found else None


def check_serial(serial: str, device_kind: str, account_id: str) -> str | None:
    """Why ``serial`` cannot be the ``device_kind`` device of ``account_id`` (None when it can)."""
    if device_kind == "fido":
        if not _FIDO.fullmatch(serial):
            return (f"{serial!r} is not a FIDO security key's serial: AWS names one "
                    f"arn:aws:iam::{account_id}:u2f/root/NAME-SUFFIX (copy it from the console's MFA list)")
    elif device_kind == "hardware":
        if not _HARDWARE.fullmatch(serial) or ":" in serial:
            return (f"{serial!r} is not a hardware TOTP token's serial: it is the serial printed on the back of the "
                    "token (such as GAKT12345678)")
        return None
    elif not _VIRTUAL.fullmatch(serial):
        return f"{serial!r} is not a virtual MFA device's ARN (arn:aws:iam::{account_id}:mfa/NAME)"
    if account_of(serial) != account_id:
        return f"{serial!r} belongs to account {account_of(serial)}, not {account_id}"
    return None


def describe(serials: list[str]) -> list[dict]:
    """Each device with its kind, for reports."""
    return [{"serial": serial, "kind": kind(serial)} for serial in serials]


def device_name(serial: str) -> str:
    """The name a virtual device was given in the console (its ARN's part after ``mfa/``); "" for none."""
    return serial.split(":mfa/", 1)[1] if _VIRTUAL.fullmatch(serial or "") else (serial or "")


def several_problem(arns: list[str]) -> str | None:
    """Why these can not be the device ARNs of one account's several seeds (None when they can): with more than
    one seed, each must name its own virtual device, so that a code, a proof and the audit know which is which."""
    if len(arns) > MAX_DEVICES:
        return f"has {len(arns)} seeds: a root user holds at most {MAX_DEVICES} MFA devices"
    if any(not arn for arn in arns):
        return "has a seed that names no device ARN: each of several seeds names its own device"
    if len(set(arns)) < len(arns):
        return "has two seeds of one device ARN: a device has one seed"
    return None
