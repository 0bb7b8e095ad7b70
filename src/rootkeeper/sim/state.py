"""The simulated organization's own records: root users, MFA devices, faults, sessions.

What AWS keeps per account and moto does not: each root user's password, virtual MFA
devices (with their seeds, so that the simulated console can check codes), access keys
and signing certificates; and what the tests inject per account.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime

MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account: the caller's default credentials land here
TASK_POLICY_PREFIX = "arn:aws:iam::aws:policy/root-task/"
# What each root-task policy allows (AWS documentation; DeleteVirtualMFADevice left the delete policy in 2025).
TASK_POLICIES = {
    "IAMAuditRootUserCredentials": {"GetAccountSummary", "GetLoginProfile", "ListMFADevices", "ListAccessKeys",
                                    "ListSigningCertificates", "GetUser", "GetAccessKeyLastUsed"},
    "IAMCreateRootUserPassword": {"CreateLoginProfile", "GetLoginProfile"},
    "IAMDeleteRootUserCredentials": {"DeleteLoginProfile", "DeactivateMFADevice", "DeleteAccessKey",
                                     "DeleteSigningCertificate", "GetLoginProfile", "ListMFADevices",
                                     "ListAccessKeys", "ListSigningCertificates", "GetUser", "GetAccessKeyLastUsed"},
}
CREDENTIAL_TASKS = set(TASK_POLICIES)  # all three also need RootCredentialsManagement


def utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SimError(Exception):
    """A simulated console refused something (wrong code, too many devices...)."""


@dataclass
class MfaDevice:
    serial: str
    seed: str
    enabled_at: str | None = None  # None: created, not (or no longer) assigned to root


@dataclass
class RootUser:
    account_id: str
    password_sha256: str | None = None
    password_created: str | None = None
    password_reset_required: bool = False
    devices: dict[str, MfaDevice] = field(default_factory=dict)
    access_keys: dict[str, dict] = field(default_factory=dict)
    certificates: dict[str, dict] = field(default_factory=dict)

    @property
    def mfa(self) -> list[MfaDevice]:
        return [d for d in self.devices.values() if d.enabled_at]

    def snapshot(self) -> dict:
        """Everything observable, for before/after comparisons (seeds as digests)."""
        return {"password": self.password_created is not None, "password_sha256": self.password_sha256,
                "reset_required": self.password_reset_required,
                "devices": {s: [hashlib.sha256(d.seed.encode()).hexdigest(), d.enabled_at] for s, d in self.devices.items()},
                "access_keys": {k: dict(v) for k, v in self.access_keys.items()},
                "certificates": {k: dict(v) for k, v in self.certificates.items()}}


@dataclass
class Faults:
    deny: bool = False  # AssumeRoot / AssumeRole into the account answer AccessDenied
    throttle: int = 0  # the next N calls attributed to the account answer Throttling; -1: every call
    latency: float | None = None  # seconds added to each of its calls, instead of the global latency
    errors: dict[str, str] = field(default_factory=dict)  # action -> error code it answers (e.g. an SCP's AccessDenied)
    summary_omits: set[str] = field(default_factory=set)  # keys GetAccountSummary leaves out of its SummaryMap


@dataclass
class Session:
    account_id: str
    task: str | None  # a root-task policy name for AssumeRoot sessions, None for role sessions
