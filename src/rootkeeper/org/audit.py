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
from ..rules import devices
from ..rules.accounts import is_account_id
from ..storage.journal import batch
from ..workflows.listing import CustodyIndex
from .accounts import OrgAccount, Selection, find_accounts, iter_accounts, listed_order
from .aws import ACCESS_KEYS, AUDIT_TASK, CERTIFICATES, MFA_DEVICES, Aws, aws_errors, has_login_profile, paged_ids
from .denials import explain

if TYPE_CHECKING:
    from ..workspace import Workspace

VERDICTS = ("ROOTLESS", "CUSTODIED", "NO_MFA", "ROOT_ACCESS_KEYS", "SEED_MISSING", "SEED_MISMATCH", "DEVICE_UNKNOWN",
            "DEVICE_UNRECORDED", "DEVICE_GONE", "SEED_UNPROVEN", "NOT_IN_VAULT", "INCOMPLETE", "NOT_ACTIVE",
            "UNREACHABLE")
ADVICE = {"SINGLE_MFA_DEVICE": "root has one MFA device: AWS advises more than one (with one, the root e-mail and "
                               "the account's contact phone can sign in without it); register a second, kept apart"}
GOOD = {"ROOTLESS", "CUSTODIED"}
EXPLAIN = {
    "ROOTLESS": "no root password, MFA, access key or certificate: nothing to keep",
    "CUSTODIED": "password in the vault, and every root MFA device AWS reports is known to custody: a seed's device "
                 "(with a sign-in recorded) or a key or token of the custody plan",
    "NO_MFA": "the root user has a password and no MFA device",
    "ROOT_ACCESS_KEYS": "the root user has access keys or signing certificates: delete them",
    "SEED_MISSING": "AWS has a root MFA device, the seed store has no seed for the account",
    "DEVICE_UNKNOWN": "AWS has a root MFA device that custody does not know (no seed with its ARN, no security key "
                      "or token of the custody plan with its serial): whoever holds it can pass root's MFA",
    "SEED_MISMATCH": "the seed's device is not one of root's MFA devices in AWS (a stale or foreign seed), or a "
                     "seed kept without its device ARN matches no virtual device AWS has",
    "DEVICE_UNRECORDED": "the seed was kept without its device ARN and AWS has one virtual root MFA device: record "
                         "it with 'org audit --record-devices' (nothing in AWS needs to change)",
    "DEVICE_GONE": "the custody plan names a security key or token for the account that AWS no longer has: "
                   "remove it from the plan, or register it again",
    "SEED_UNPROVEN": "the seed is kept and AWS's MFA serial is its device, but no sign-in with it was ever recorded: "
                     "get a code, sign in as root, then 'rootkeeper seeds prove ID'",
    "NOT_IN_VAULT": "the root user has a password (or MFA), the vault has no entry for the account",
    "INCOMPLETE": "AWS's answer lacked a fact (password, MFA, keys or certificates), or the devices seen may not be "
                  "all of root's (a role sees virtual ones only): nothing can be proven",
    "NOT_ACTIVE": "the account is not ACTIVE (see its state): its root user still exists and was not audited; "
                  "keep custody until it is CLOSED, or reopen it and audit",
    "UNREACHABLE": "the account could not be audited: see the error code",
}
FIELDS = ["account_id", "account_name", "email", "state", "management", "verdict", "error", "message", "password", "mfa",
          "mfa_enabled", "mfa_devices", "access_keys", "signing_certificates", "vault", "seed_device_arn",
          "seed_proven_at", "seeds", "findings", "advice", "password_last_used", "access_keys_last_used", "calls"]


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
    blind: str = ""  # why the devices listed may not be all of root's (a role sees virtual devices only)
    # A root session's GetUser and GetAccessKeyLastUsed: ISO time, "never", or None (not asked: no root session)
    password_last_used: str | None = None
    keys_last_used: dict[str, dict] = field(default_factory=dict)  # key id -> {last_used, service, region}

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
    # The account's seeds: (device ARN, when a sign-in with it was recorded); a lone seed may have no ARN ("")
    # and no sign-in (""). Several seeds: one per virtual MFA device of root, each with its ARN.
    seeds: list[tuple[str, str]] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    fix: str = ""  # why AWS refused and what to do (org/denials.py), also at the end of ``message``
    planned: dict[str, str] = field(default_factory=dict)  # the plan's keys and tokens for it: serial -> medium
    known: dict[str, str] = field(default_factory=dict)  # serial -> what custody holds it as ("seed", "plan MEDIUM")
    advice: list[str] = field(default_factory=list)  # what AWS advises that does not change the verdict

    @property
    def seed_device_arn(self) -> str | None:
        """The first seed's device ARN; None: no seed; "": a seed kept without its device ARN."""
        return self.seeds[0][0] if self.seeds else None

    @property
    def seed_proven_at(self) -> str:
        return self.seeds[0][1] if self.seeds else ""

    def devices(self) -> list[dict] | None:
        """Every device AWS reported, with its kind and what of custody knows it (None: not examined)."""
        if self.facts is None:
            return None
        return [{**entry, "known": self.known.get(entry["serial"])} for entry in devices.describe(self.facts.mfa)]

    def as_dict(self) -> dict:
        f = self.facts
        return {"account_id": self.account.account_id, "account_name": self.account.name, "email": self.account.email,
                "state": self.account.state, "management": self.account.management, "verdict": self.verdict, "error": self.error or None,
                "message": self.message or None,
                "password": None if f is None else f.password,
                "mfa": None if f is None else f.mfa,
                "mfa_enabled": None if f is None else f.mfa_enabled,
                "mfa_devices": self.devices(),
                "access_keys": None if f is None or (f.access_keys_present is None and not f.access_keys) else (
                    f.access_keys or (["present"] if f.access_keys_present else [])),
                "signing_certificates": None if f is None or (f.certificates_present is None and not f.certificates)
                else (f.certificates or (["present"] if f.certificates_present else [])),
                "vault": self.vault, "seed_device_arn": self.seed_device_arn,
                "seed_proven_at": self.seed_proven_at or None,
                "seeds": [{"device_arn": arn or None, "proven_at": at or None} for arn, at in self.seeds],
                "findings": self.findings, "advice": self.advice,
                "password_last_used": None if f is None else f.password_last_used,
                "access_keys_last_used": None if f is None or not f.keys_last_used else [
                    {"access_key_id": k, **v} for k, v in f.keys_last_used.items()],
                "calls": 0 if f is None else f.calls}


def _when(value) -> str:
    """A last-use time from IAM: ISO 8601 UTC, or "never" (IAM leaves it out when there was no use)."""
    if value is None:
        return "never"
    from ..rules.rootuse import iso

    return iso(value.timestamp()) if hasattr(value, "timestamp") else str(value)


def known_devices(facts: RootFacts, seeds: list[str] | None, planned: dict[str, str]) -> dict[str, str]:
    """Which of the devices AWS reported custody knows, and as what: a seed whose device ARN it is, a security
    key or token of the custody plan (``planned``: serial -> medium), or the one virtual device a lone seed kept
    without its ARN must be. ``seeds``: the device ARNs of the account's seeds (None: no seed)."""
    known = {}
    arns = set(seeds or [])
    virtual = sorted({s for s in facts.mfa if devices.kind(s) == "virtual"})
    for serial in facts.mfa:
        if serial in arns:
            known[serial] = "seed"
        elif serial in planned:
            known[serial] = f"plan {planned[serial]}"
    if seeds == [""] and len(virtual) == 1:
        known[virtual[0]] = "seed (device ARN not recorded)"
    return known


def verdict(facts: RootFacts, in_vault: bool, device_arn: str | list[str] | None, proven: bool | list[bool],
            planned: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """One verdict per account (the most severe finding), and every finding.

    ``device_arn`` is the device recorded with the account's seed ("" when it was kept
    without one), None when there is no seed; ``proven``: a sign-in with the seed was recorded. An account
    with several seeds (one per virtual MFA device of root) gives their device ARNs and proofs as lists.
    ``planned``: the serials of the custody plan's security keys and tokens for the account (-> medium).
    CUSTODIED needs every device AWS reports for root to be known to custody (a seed with its device ARN, or a
    plan medium with its serial) and the password in the vault. A fact AWS did not give is unknown: it never
    counts as absent, so it never yields ROOTLESS or CUSTODIED (INCOMPLETE instead); nor does a list of devices
    that may not be all of root's (``facts.blind``). A seed whose device matches but that never opened the
    account is not yet custody (SEED_UNPROVEN): a stale seed would pass otherwise.
    """
    planned = planned or {}
    seeds = None if device_arn is None else ([device_arn] if isinstance(device_arn, str) else list(device_arn))
    proofs = [proven] if isinstance(proven, bool) else list(proven)
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
            serials = set(facts.mfa)
            virtual = {s for s in serials if devices.kind(s) == "virtual"}
            known = known_devices(facts, seeds, planned)
            strangers = serials - set(known)
            if seeds is None:
                strangers -= virtual  # a virtual device with no seed at all: SEED_MISSING says it
            elif seeds == [""] and len(virtual) > 1:
                strangers -= virtual  # one of them is the seed's, which one is not known: SEED_MISMATCH says it
            if seeds is None:
                if virtual:
                    findings.append("SEED_MISSING")
            elif seeds == [""]:
                findings.append("DEVICE_UNRECORDED" if len(virtual) == 1 else "SEED_MISMATCH")
            elif set(seeds) - serials:
                findings.append("SEED_MISMATCH")  # custody expects a device AWS does not have: a seed is stale
            if strangers:
                findings.append("DEVICE_UNKNOWN")  # someone else can also pass root's MFA
            if not facts.blind and set(planned) - serials:
                findings.append("DEVICE_GONE")
            if seeds is not None and not all(proofs) and not {"SEED_MISSING", "SEED_MISMATCH"} & set(findings):
                findings.append("SEED_UNPROVEN")
    if unknown or facts.blind:
        findings.append("INCOMPLETE")
    if not findings:
        return "CUSTODIED", []
    return findings[0], findings


def advice(facts: RootFacts) -> list[str]:
    """What AWS advises that changes no verdict: more than one root MFA device."""
    return ["SINGLE_MFA_DEVICE"] if not facts.blind and len(set(facts.mfa)) == 1 else []


def judge(row: AuditRow) -> AuditRow:
    """Set the row's verdict, findings, known devices and advice from its facts and custody (the one place)."""
    assert row.facts is not None
    arns = [arn for arn, _at in row.seeds] if row.seeds else None
    row.verdict, row.findings = verdict(row.facts, row.vault, arns, [bool(at) for _arn, at in row.seeds],
                                        row.planned)
    row.known = known_devices(row.facts, arns, row.planned)
    row.advice = advice(row.facts)
    said = []
    account = row.account.account_id
    for serial in sorted(set(row.facts.mfa) - set(row.known)):
        what = devices.LABELS[devices.kind(serial)]
        if devices.kind(serial) == "virtual" and row.seed_device_arn is None:
            continue  # SEED_MISSING says it
        said.append(f"root MFA device {serial} ({what}) is not known to custody: if it is yours, add it to the "
                    f"custody plan (a {'security-key' if what.startswith('FIDO') else 'hardware-token'} medium with "
                    f'devices = {{ "{account}" = "{serial}" }}) and audit with --plan; if not, deactivate it: '
                    f"rootkeeper org delete-root {account} --mfa-device {serial}"
                    if devices.kind(serial) != "virtual" else
                    f"root MFA device {serial} (virtual) is not a seed's: someone else holds its seed; if it is "
                    f"yours, keep its seed beside the other (rootkeeper enroll {account} --step mfa --another-device "
                    f"--device-arn {serial}, or seeds import --another-device); if not, deactivate it: "
                    f"rootkeeper org delete-root {account} --mfa-device {serial}")
    if "DEVICE_GONE" in row.findings:
        said += [f"custody plan's {medium} ({serial}) is not among root's MFA devices in AWS: remove it from the plan "
                 "or register it again" for serial, medium in sorted(row.planned.items()) if serial not in row.facts.mfa]
    if row.facts.blind:
        said.append(row.facts.blind)
    if said and not row.message:
        row.message = "; ".join(said)
    return row


def record_devices(ws: Workspace, rows: list[AuditRow]) -> list[AuditRow]:
    """Record, in the seed store, the one virtual root MFA device AWS answered for each DEVICE_UNRECORDED
    account (a seed kept without its device ARN), re-judge those rows, and journal it. A FIDO key or a hardware
    token is never a seed's device. Returns the rows changed. Nothing in AWS changes."""
    store = ws.seeds()
    changed = []
    for row in rows:
        virtual = sorted({s for s in (row.facts.mfa if row.facts else []) if devices.kind(s) == "virtual"})
        if "DEVICE_UNRECORDED" not in row.findings or len(virtual) != 1:
            continue
        store.set_device(row.account.account_id, virtual[0])
        row.seeds = [(virtual[0], row.seed_proven_at)]  # the seed is not proven by this: only a sign-in proves it
        judge(row)
        changed.append(row)
    if changed:
        ws.commit([store], {"event": "seeds.record-device", "source": "org audit",
                            **batch([r.account.account_id for r in changed])})
    return changed


def summary(rows: list[AuditRow]) -> dict[str, int]:
    """How many accounts got each verdict (only the verdicts that occur, in VERDICTS order)."""
    return {v: n for v in VERDICTS if (n := sum(r.verdict == v for r in rows))}


def advised(rows: list[AuditRow]) -> dict[str, int]:
    """How many accounts each piece of AWS's advice concerns."""
    return {a: n for a in ADVICE if (n := sum(a in r.advice for r in rows))}


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

    def __init__(self, aws: Aws, custody: CustodyIndex, via: str = "assume-root", concurrency: int = 16,
                 planned: dict[str, dict[str, str]] | None = None) -> None:
        check_options(via, concurrency)
        self.aws, self.custody, self.via, self.concurrency = aws, custody, via, concurrency
        self.planned = planned or {}  # the custody plan's keys and tokens: account id -> {serial: medium}

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
        if facts.mfa_enabled and not root_session:
            # FIDO keys and hardware tokens are invisible here. The summary's count of devices in use (root's and
            # IAM users') proves there is no other only when it equals root's virtual devices.
            in_use = summary.get("MFADevicesInUse")
            if not isinstance(in_use, int) or in_use > len(set(facts.mfa)):
                facts.blind = (f"through a role only virtual MFA devices are visible, and the account has "
                               f"{in_use if isinstance(in_use, int) else 'an unknown number of'} MFA device(s) in use "
                               f"(IAM users' included) where root shows {len(set(facts.mfa))} virtual: a FIDO key or "
                               "hardware token of root cannot be ruled out; audit with --via assume-root")
        if root_session and facts.password:  # when root's password was last used (absent: never, IAM's model)
            facts.password_last_used = _when(iam.get_user().get("User", {}).get("PasswordLastUsed"))
            facts.calls += 1
        if root_session and facts.access_keys_present:
            facts.access_keys, pages = paged_ids(iam, ACCESS_KEYS)
            facts.calls += pages
            if asked["keys"]:
                facts.access_keys_present = bool(facts.access_keys)
            for key in facts.access_keys:
                last = iam.get_access_key_last_used(AccessKeyId=key).get("AccessKeyLastUsed", {})
                facts.calls += 1
                facts.keys_last_used[key] = {"last_used": _when(last.get("LastUsedDate")),
                                             "service": last.get("ServiceName"), "region": last.get("Region")}
        if root_session and facts.certificates_present:
            facts.certificates, pages = paged_ids(iam, CERTIFICATES)
            facts.calls += pages
            if asked["certificates"]:
                facts.certificates_present = bool(facts.certificates)
        return facts

    def audit_one(self, account: OrgAccount, caller: str | None = None) -> AuditRow:
        in_vault = account.account_id in self.custody.entries
        row = AuditRow(account, "UNREACHABLE", vault=in_vault,
                       seeds=[(r.device_arn, r.proven_at) for r in self.custody.seeds_of(account.account_id)],
                       planned=self.planned.get(account.account_id, {}))
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
        return judge(row)

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


def findings_run(rows: list[AuditRow], at: str, anchor: str):
    """The audit's results for the finding formats (findings.results): per account, the verdict and the controls."""
    from ..findings.results import Run, from_audit

    payload = {"accounts": [r.as_dict() for r in rows]}
    unseen = [f"{r.account.account_id} ({r.account.name}): {r.verdict} {r.error or ''}".rstrip() for r in rows
              if r.facts is None]
    return Run("audit", "Root users of the organization: rootkeeper org audit", at, from_audit(payload, EXPLAIN),
               coverage(rows), unseen, anchor)
