"""The audit of every account's root user, joined with custody.

Member accounts are reached through ``sts:AssumeRoot`` with the read-only task policy
``IAMAuditRootUserCredentials`` (or a cross-account role); the management account with
the caller's own credentials. ``verdict()`` is the pure rule; ``Auditor`` gathers the
facts, concurrently, while the account listing is still being paged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import AwsError, CheckFailed, InputError
from ..rules.accounts import is_account_id
from ..storage.journal import batch
from ..workflows.listing import CustodyIndex
from .accounts import OrgAccount, Selection, find_accounts, iter_accounts, listed_order
from .aws import ACCESS_KEYS, AUDIT_TASK, CERTIFICATES, MFA_DEVICES, Aws, aws_errors, has_login_profile, paged_ids
from .denials import explain

if TYPE_CHECKING:
    from ..workspace import Workspace

VERDICTS = ("ROOTLESS", "CUSTODIED", "NO_MFA", "ROOT_ACCESS_KEYS", "SEED_MISSING", "SEED_MISMATCH",
            "DEVICE_UNRECORDED", "SEED_UNPROVEN", "NOT_IN_VAULT", "INCOMPLETE", "NOT_ACTIVE", "UNREACHABLE")
GOOD = {"ROOTLESS", "CUSTODIED"}
EXPLAIN = {
    "ROOTLESS": "no root password, MFA, access key or certificate: nothing to keep",
    "CUSTODIED": "password in the vault, seed in the store, AWS's MFA serial is the seed's device, and a sign-in "
                 "with the seed was recorded",
    "NO_MFA": "the root user has a password and no MFA device",
    "ROOT_ACCESS_KEYS": "the root user has access keys or signing certificates: delete them",
    "SEED_MISSING": "AWS has a root MFA device, the seed store has no seed for the account",
    "SEED_MISMATCH": "the root MFA device in AWS is not the seed's device, or another device sits beside it",
    "DEVICE_UNRECORDED": "the seed was kept without its device ARN and AWS has one root MFA device: record it "
                         "with 'org audit --record-devices' (nothing in AWS needs to change)",
    "SEED_UNPROVEN": "the seed is kept and AWS's MFA serial is its device, but no sign-in with it was ever recorded: "
                     "get a code, sign in as root, then 'rootkeeper seeds prove ID'",
    "NOT_IN_VAULT": "the root user has a password (or MFA), the vault has no entry for the account",
    "INCOMPLETE": "AWS's answer lacked a fact (password, MFA, keys or certificates): nothing can be proven",
    "NOT_ACTIVE": "the account is not ACTIVE (see its state): its root user still exists and was not audited; "
                  "keep custody until it is CLOSED, or reopen it and audit",
    "UNREACHABLE": "the account could not be audited: see the error code",
}
FIELDS = ["account_id", "account_name", "email", "state", "management", "verdict", "error", "message", "password", "mfa",
          "mfa_enabled", "access_keys", "signing_certificates", "vault", "seed_device_arn", "seed_proven_at", "findings",
          "calls"]


@dataclass
class RootFacts:
    """What AWS said about one root user. None: AWS did not say (unknown, never "absent")."""

    password: bool | None = None
    mfa_enabled: bool | None = None
    mfa: list[str] = field(default_factory=list)  # serial numbers
    access_keys: list[str] = field(default_factory=list)
    access_keys_present: bool | None = None
    certificates: list[str] = field(default_factory=list)
    certificates_present: bool | None = None
    calls: int = 0

    def unknown(self) -> list[str]:
        return [name for name, value in (("password", self.password), ("MFA", self.mfa_enabled),
                                         ("access keys", self.access_keys_present),
                                         ("signing certificates", self.certificates_present)) if value is None]


@dataclass
class AuditRow:
    account: OrgAccount
    verdict: str
    facts: RootFacts | None = None
    error: str = ""
    message: str = ""
    vault: bool = False
    seed_device_arn: str | None = None  # None: no seed; "": a seed kept without its device ARN
    seed_proven_at: str = ""  # when a sign-in with the seed was recorded ("": never)
    findings: list[str] = field(default_factory=list)
    fix: str = ""  # why AWS refused and what to do (org/denials.py), also at the end of ``message``

    def as_dict(self) -> dict:
        f = self.facts
        return {"account_id": self.account.account_id, "account_name": self.account.name, "email": self.account.email,
                "state": self.account.state, "management": self.account.management, "verdict": self.verdict, "error": self.error or None,
                "message": self.message or None,
                "password": None if f is None else f.password,
                "mfa": None if f is None else f.mfa,
                "mfa_enabled": None if f is None else f.mfa_enabled,
                "access_keys": None if f is None or (f.access_keys_present is None and not f.access_keys) else (
                    f.access_keys or (["present"] if f.access_keys_present else [])),
                "signing_certificates": None if f is None or (f.certificates_present is None and not f.certificates)
                else (f.certificates or (["present"] if f.certificates_present else [])),
                "vault": self.vault, "seed_device_arn": self.seed_device_arn,
                "seed_proven_at": self.seed_proven_at or None, "findings": self.findings,
                "calls": 0 if f is None else f.calls}


def verdict(facts: RootFacts, in_vault: bool, device_arn: str | None, proven: bool) -> tuple[str, list[str]]:
    """One verdict per account (the most severe finding), and every finding.

    ``device_arn`` is the device recorded with the account's seed ("" when it was kept
    without one), None when there is no seed; ``proven``: a sign-in with the seed was recorded.
    A fact AWS did not give is unknown: it never counts as absent, so it never yields ROOTLESS
    or CUSTODIED (INCOMPLETE instead). A seed whose device matches but that never opened the
    account is not yet custody (SEED_UNPROVEN): a stale seed would pass otherwise.
    """
    findings = []
    unknown = facts.unknown()
    if facts.access_keys_present or facts.access_keys or facts.certificates_present or facts.certificates:
        findings.append("ROOT_ACCESS_KEYS")
    has_mfa = bool(facts.mfa_enabled or facts.mfa)
    if not facts.password and not has_mfa and not findings:
        return ("INCOMPLETE", ["INCOMPLETE"]) if unknown else ("ROOTLESS", [])
    if facts.password or has_mfa:
        if facts.password and not has_mfa:
            findings.append("NO_MFA")
        if not in_vault:
            findings.append("NOT_IN_VAULT")
        if has_mfa:
            if device_arn is None:
                findings.append("SEED_MISSING")
            elif device_arn == "" and len(set(facts.mfa)) <= 1:
                findings.append("DEVICE_UNRECORDED")  # the seed is kept; which device it belongs to is not
            elif device_arn not in facts.mfa or len(set(facts.mfa)) > 1:
                # Not our device, or ours plus another one: someone else can also pass root's MFA.
                findings.append("SEED_MISMATCH")
            if not proven and not {"SEED_MISSING", "SEED_MISMATCH"} & set(findings):
                findings.append("SEED_UNPROVEN")
    if unknown:
        findings.append("INCOMPLETE")
    if not findings:
        return "CUSTODIED", []
    return findings[0], findings


def record_devices(ws: Workspace, rows: list[AuditRow]) -> list[AuditRow]:
    """Record, in the seed store, the one root MFA device AWS answered for each DEVICE_UNRECORDED
    account (a seed kept without its device ARN), re-judge those rows, and journal it.
    Returns the rows changed. Nothing in AWS changes."""
    store = ws.seeds()
    changed = []
    for row in rows:
        if "DEVICE_UNRECORDED" not in row.findings or row.facts is None or len(set(row.facts.mfa)) != 1:
            continue
        (serial,) = set(row.facts.mfa)
        store.set_device(row.account.account_id, serial)
        row.seed_device_arn = serial  # the seed is not proven by this: only a sign-in proves it
        row.verdict, row.findings = verdict(row.facts, row.vault, serial, bool(row.seed_proven_at))
        changed.append(row)
    if changed:
        ws.commit([store], {"event": "seeds.record-device", "source": "org audit",
                            **batch([r.account.account_id for r in changed])})
    return changed


def summary(rows: list[AuditRow]) -> dict[str, int]:
    """How many accounts got each verdict (only the verdicts that occur, in VERDICTS order)."""
    return {v: n for v in VERDICTS if (n := sum(r.verdict == v for r in rows))}


def coverage(rows: list[AuditRow]) -> dict[str, int]:
    """What the audit examined: accounts listed, active member accounts, and how many were reached."""
    members = [r for r in rows if not r.account.management]
    active = [r for r in members if r.account.active]
    return {"accounts": len(rows), "members": len(members), "active_members": len(active),
            "members_reached": sum(r.facts is not None for r in active),
            "not_active": sum(r.verdict == "NOT_ACTIVE" for r in rows)}


def shared_refusals(rows: list[AuditRow]) -> dict[tuple[str, str], int]:
    """(AWS's error code, the fix) -> how many accounts were refused so, for a refusal shared by two or more
    (central root access off refuses every member alike): said once, not on every row."""
    counts: dict[tuple[str, str], int] = {}
    for row in rows:
        if row.verdict == "UNREACHABLE" and row.error:
            key = (row.error, row.fix or row.message)
            counts[key] = counts.get(key, 0) + 1
    return {key: count for key, count in counts.items() if count > 1}


def outcome(rows: list[AuditRow], *, named: bool = False) -> None:
    """Raise unless every account is ROOTLESS or CUSTODIED: CheckFailed (exit 1) for findings; an
    error (exit 2) for an audit that examined nothing: no account listed at all, or active member
    accounts none of which could be reached. ``named``: only accounts given by the caller."""
    seen = coverage(rows)
    if not rows and not named:
        raise AwsError("the organization's listing held no account (not even the management account): the answer "
                       "is not AWS's; check AWS_ENDPOINT_URL, --region and the credentials", "EmptyListing")
    if seen["active_members"] and not seen["members_reached"]:
        members = [r for r in rows if not r.account.management]
        codes = sorted({r.error for r in members if r.error})
        fixes = list(dict.fromkeys(r.fix for r in members if r.fix))
        why = fixes[0] if len(fixes) == 1 else "see each account's message (--json)"
        raise AwsError(f"the audit reached none of the {seen['active_members']} active member account(s) "
                       f"({', '.join(codes) or 'no answer'}), so nothing was examined: {why}", "NothingReached")
    bad = [r for r in rows if r.verdict not in GOOD]
    if bad:
        raise CheckFailed(f"{len(bad)} of {len(rows)} accounts are neither ROOTLESS nor CUSTODIED")


def check_options(via: str, concurrency: int) -> None:
    if via != "assume-root" and not (via.startswith("role:") and len(via) > 5):
        raise InputError(f"--via {via!r} is not understood: use 'assume-root' or 'role:NAME'")
    if not 1 <= concurrency <= 256:
        raise InputError(f"--concurrency {concurrency} is out of range: choose 1-256")


class Auditor:
    """Audits accounts concurrently; one failing account never stops the others."""

    def __init__(self, aws: Aws, custody: CustodyIndex, via: str = "assume-root", concurrency: int = 16) -> None:
        check_options(via, concurrency)
        self.aws, self.custody, self.via, self.concurrency = aws, custody, via, concurrency

    # ------------------------------------------------------------ one account
    def _probe_root_session(self, account: OrgAccount) -> RootFacts:
        facts = RootFacts(calls=1)
        iam = self.aws.root_iam(account.account_id, AUDIT_TASK)
        with aws_errors(f"reading the root user of {account.account_id} in its root session"):
            return self._summarize(iam, facts, root_session=True)

    def _probe_identity(self, account: OrgAccount) -> RootFacts:
        facts = RootFacts()
        if account.management:
            iam = self.aws.client("iam")
        else:
            role = self.via.removeprefix("role:")
            with aws_errors("sts:AssumeRole"):
                creds = self.aws.client("sts").assume_role(
                    RoleArn=self.aws.account_arn(account.account_id, f"role/{role}"), RoleSessionName="rootkeeper-audit",
                    DurationSeconds=900)["Credentials"]
            iam = self.aws.session_iam(creds)
            facts.calls = 1
        return self._summarize(iam, facts, root_session=False)

    @staticmethod
    def _summarize(iam, facts: RootFacts, *, root_session: bool) -> RootFacts:
        """GetAccountSummary answers all four questions in one call; lists only where it says yes."""
        summary = iam.get_account_summary().get("SummaryMap")
        facts.calls += 1
        if not isinstance(summary, dict):
            summary = {}

        def said(key: str) -> bool | None:
            value = summary.get(key)
            return None if value is None else bool(value)

        facts.password, facts.mfa_enabled = said("AccountPasswordPresent"), said("AccountMFAEnabled")
        facts.access_keys_present = said("AccountAccessKeysPresent")
        facts.certificates_present = said("AccountSigningCertificatesPresent")
        asked = {"keys": facts.access_keys_present is None, "certificates": facts.certificates_present is None}
        if root_session:  # a root session can ask for what the summary left out
            if facts.password is None:
                facts.calls += 1
                facts.password = has_login_profile(iam)
            if facts.mfa_enabled is None:
                facts.mfa, pages = paged_ids(iam, MFA_DEVICES)
                facts.calls += pages
                facts.mfa_enabled = bool(facts.mfa)
            # Unknown keys or certificates: list them below, and the list decides.
            facts.access_keys_present = True if facts.access_keys_present is None else facts.access_keys_present
            facts.certificates_present = True if facts.certificates_present is None else facts.certificates_present
        if facts.mfa_enabled and not facts.mfa:
            if root_session:
                facts.mfa, pages = paged_ids(iam, MFA_DEVICES)
                facts.calls += pages
            else:  # a role sees the root's virtual devices only, through their assignment
                for page in iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Assigned"):
                    facts.calls += 1
                    facts.mfa += [d["SerialNumber"] for d in page["VirtualMFADevices"]
                                  if d.get("User", {}).get("Arn", "").endswith(":root")]
        if root_session and facts.access_keys_present:
            facts.access_keys, pages = paged_ids(iam, ACCESS_KEYS)
            facts.calls += pages
            if asked["keys"]:
                facts.access_keys_present = bool(facts.access_keys)
        if root_session and facts.certificates_present:
            facts.certificates, pages = paged_ids(iam, CERTIFICATES)
            facts.calls += pages
            if asked["certificates"]:
                facts.certificates_present = bool(facts.certificates)
        return facts

    def audit_one(self, account: OrgAccount, caller: str | None = None) -> AuditRow:
        device = self.custody.device_arn(account.account_id)
        in_vault = account.account_id in self.custody.entries
        seed = self.custody.seeds.get(account.account_id)
        row = AuditRow(account, "UNREACHABLE", vault=in_vault, seed_device_arn=device,
                       seed_proven_at=seed.proven_at if seed is not None else "")
        if not account.active:
            # AssumeRoot reaches active members only; the root user of any other account still exists.
            row.verdict, row.findings = "NOT_ACTIVE", ["NOT_ACTIVE"]
            row.message = f"the account is {account.state_text}: not audited; its root user still exists"
            return row
        if account.management and caller is not None and caller != account.account_id:
            row.error, row.message = "NotManagementCredentials", (
                "the management account's root user is audited with its own credentials: run with them")
            return row
        try:
            with aws_errors(f"auditing {account.account_id}"):
                if account.management or self.via != "assume-root":
                    facts = self._probe_identity(account)
                else:
                    facts = self._probe_root_session(account)
        except AwsError as exc:
            row.error, row.message = exc.code, exc.detail
            row.fix = explain(exc.code, exc.detail, doing=exc.doing) or ""
            if row.fix:
                row.message = f"{exc.detail} ({exc.doing}: {row.fix})" if exc.doing else f"{exc.detail} ({row.fix})"
            return row
        row.facts = facts
        row.verdict, row.findings = verdict(facts, in_vault, device, bool(row.seed_proven_at))
        return row

    # ------------------------------------------------------------ many accounts
    def run(self, accounts: Iterable[OrgAccount], caller: str | None,
            on_listed: Callable[[int], None] | None = None,
            on_done: Callable[[AuditRow], None] | None = None) -> list[AuditRow]:
        """Audit while the listing goes on: pages keep arriving as the first accounts are audited."""
        futures = []
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="audit")
        try:
            for account in accounts:
                future = pool.submit(self.audit_one, account, caller)
                if on_done is not None:
                    future.add_done_callback(lambda f: on_done(f.result()) if f.exception() is None else None)
                futures.append(future)
                if on_listed is not None:
                    on_listed(len(futures))
            rows = [f.result() for f in futures]
        except BaseException:
            # A listing that failed, an unexpected error, or Ctrl-C: do not wait for thousands of queued accounts.
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown()
        return sorted(rows, key=lambda r: listed_order(r.account))

    def audit(self, refs: Iterable[str] = (), on_listed: Callable[[int], None] | None = None,
              on_done: Callable[[AuditRow], None] | None = None) -> list[AuditRow]:
        """The whole organization, or the accounts ``refs`` names (ids or exact names), in listed order."""
        _org_id, management = self.aws.organization()
        caller = self.aws.caller_account()
        refs = list(refs)
        if refs and all(is_account_id(r) for r in refs):
            # Accounts named by id: one DescribeAccount each, never the whole organization's listing
            # (AWS has no lookup by name: a name needs the listing, matched as its pages arrive).
            named = find_accounts(self.aws, refs, management, workers=self.concurrency)
            return self.run(iter(named), caller, on_listed, on_done)
        listing = iter_accounts(self.aws, management)
        selection = Selection(refs) if refs else None
        if selection is not None:
            listing = selection(listing)  # audited as the pages arrive
        rows = self.run(listing, caller, on_listed, on_done)
        if selection is not None:
            selection.check()
        return rows
