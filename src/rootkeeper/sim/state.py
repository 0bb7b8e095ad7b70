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
# What each root-task policy allows in IAM (IAM User Guide, "Perform a privileged task on a member
# account"; DeleteVirtualMFADevice left the delete policy in January 2025). The S3 and SQS unlock
# tasks allow no IAM action: the simulator serves no S3 or SQS calls in a root session.
TASK_POLICIES = {
    "IAMAuditRootUserCredentials": {"GetAccountSummary", "GetLoginProfile", "ListMFADevices", "ListAccessKeys",
                                    "ListSigningCertificates", "GetUser", "GetAccessKeyLastUsed"},
    "IAMCreateRootUserPassword": {"CreateLoginProfile", "GetLoginProfile"},
    "IAMDeleteRootUserCredentials": {"DeleteLoginProfile", "DeactivateMFADevice", "DeleteAccessKey",
                                     "DeleteSigningCertificate", "GetLoginProfile", "ListMFADevices",
                                     "ListAccessKeys", "ListSigningCertificates", "GetUser", "GetAccessKeyLastUsed"},
}
CREDENTIAL_TASKS = set(TASK_POLICIES)  # the IAM tasks: gated by RootCredentialsManagement only
SESSION_TASKS = {"S3UnlockBucketPolicy": set(), "SQSUnlockQueuePolicy": set()}  # gated by RootSessions
# What the S3 and SQS unlock tasks allow, as the IAM User Guide's AWS managed policies for root tasks list them:
# read, delete or replace the one resource policy (and list the account's buckets or queues); nothing else.
RESOURCE_TASKS = {"S3UnlockBucketPolicy": ("s3", {"GetBucketPolicy", "DeleteBucketPolicy", "PutBucketPolicy",
                                                  "ListBuckets"}),
                  "SQSUnlockQueuePolicy": ("sqs", {"GetQueueAttributes", "ListQueues", "RemovePermission",
                                                   "SetQueueAttributes"})}
TASK_POLICIES.update(SESSION_TASKS)
# AWS's answer to AssumeRoot when the feature that gates the task is off (published captures).
FEATURE_OFF = {"RootCredentialsManagement": "Root credentials management feature is not enabled for your AWS Organization",
               "RootSessions": "Root sessions feature is not enabled for your AWS Organization"}
# Organizations' throttling answer (Organizations API reference, TooManyRequestsException).
ORG_THROTTLED = ("You have sent too many requests in too short a period of time. The quota helps protect against "
                 "denial-of-service attacks. Try again later.")
# An account's lifecycle (Organizations User Guide, "Monitor the state of your AWS accounts"): AccountState.
STATES = ("PENDING_ACTIVATION", "ACTIVE", "SUSPENDED", "PENDING_CLOSURE", "CLOSED")


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
    password_used: str | None = None  # the last successful console sign-in with the password (User.PasswordLastUsed)
    devices: dict[str, MfaDevice] = field(default_factory=dict)
    access_keys: dict[str, dict] = field(default_factory=dict)
    certificates: dict[str, dict] = field(default_factory=dict)
    # What was deleted and is still listed until a moment (IAM is eventually consistent):
    # (kind, id) -> (until, what the list showed); kinds "login", "mfa", "AccessKey", "SigningCertificate".
    ghosts: dict[tuple[str, str], tuple[float, object]] = field(default_factory=dict)

    def ghosts_of(self, kind: str, now: float) -> dict[str, object]:
        return {k: v for (g, k), (until, v) in self.ghosts.items() if g == kind and until > now}

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
    errors: dict[str, str] = field(default_factory=dict)  # action -> error code it answers (injected, any message)
    scp_deny: set[str] = field(default_factory=set)  # IAM actions a service control policy denies in the account
    rcp_deny: set[str] = field(default_factory=set)  # likewise, a resource control policy
    summary_omits: set[str] = field(default_factory=set)  # keys GetAccountSummary leaves out of its SummaryMap


@dataclass
class Session:
    account_id: str
    task: str | None  # a root-task policy name for AssumeRoot sessions, None for role sessions
    caller: bool = False  # a principal's own long-term keys in that account (a delegated administrator's)
