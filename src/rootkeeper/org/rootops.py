"""Acting on member accounts' root users through centralized root access (``sts:AssumeRoot``).

Each workflow here is whole: it checks, calls AWS, keeps the vault and the seed store
in step, journals, and returns outcome records for the caller to show. The command
line only asks, confirms and prints.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..errors import AwsError, InputError, RootkeeperError
from ..storage import transaction
from ..storage.journal import Journal, reason_field
from ..workflows import retire
from ..workspace import Workspace
from .accounts import OrgAccount, find_accounts
from .aws import (
    ACCESS_KEYS,
    AUDIT_TASK,
    CERTIFICATES,
    DELETE_TASK,
    MFA_DEVICES,
    RECOVERY_TASK,
    Aws,
    aws_errors,
    has_login_profile,
    paged_ids,
    until_applied,
)

DELETE_ROOT_EVENT = "org.delete-root"
DELETE_ROOT_INTENT = "org.delete-root.intent"  # written before the first deleting call: a kill leaves a trace
DELETE_PART_EVENT = "org.delete-root.part"  # only some credentials deleted: the account keeps its custody


@dataclass(frozen=True)
class Part:
    """Which root credentials a partial delete-root removes: the access keys and signing certificates
    (the fix for ROOT_ACCESS_KEYS), and/or named MFA devices (a stray device beside the one in custody)."""

    keys: bool = False
    devices: tuple[str, ...] = ()

    @property
    def whole(self) -> bool:
        return not (self.keys or self.devices)

    def public(self) -> dict:
        return {"only": (["access keys and signing certificates"] if self.keys else [])
                + [f"MFA device {d}" for d in self.devices]}


@dataclass
class RootCredentials:
    login_profile: bool = False
    mfa: list[str] = field(default_factory=list)
    access_keys: list[str] = field(default_factory=list)
    certificates: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.login_profile or self.mfa or self.access_keys or self.certificates)

    def steps(self) -> list[str]:
        out = ["delete the root password (login profile)"] if self.login_profile else []
        out += [f"deactivate MFA device {s}" for s in self.mfa]
        out += [f"delete access key {k}" for k in self.access_keys]
        out += [f"delete signing certificate {c}" for c in self.certificates]
        return out


def list_root_credentials(iam) -> RootCredentials:
    """Read-only: every call here is allowed by both the audit and the delete task policies."""
    return RootCredentials(has_login_profile(iam), paged_ids(iam, MFA_DEVICES)[0], paged_ids(iam, ACCESS_KEYS)[0],
                           paged_ids(iam, CERTIFICATES)[0])


# ------------------------------------------------------------------ delete-root
@dataclass
class Deletion:
    """What delete-root did (or, in a dry run, would do) for one account."""

    account: OrgAccount
    dry_run: bool
    reached: bool = True  # False: AssumeRoot or the first listing failed, nothing changed
    planned: list[str] = field(default_factory=list)  # AWS steps (a dry run's answer)
    done: list[str] = field(default_factory=list)  # AWS steps taken
    custody: list[str] = field(default_factory=list)  # what of custody is (or would be) retired
    error: str = ""  # AWS's code and message where it stopped
    settled: bool = False  # custody retired and recorded (after every account's AWS work: one commit)

    @property
    def finished(self) -> bool:
        return not self.error

    @property
    def label(self) -> str:
        return f"{self.account.account_id} ({self.account.name})"

    def lines(self) -> list[str]:
        """What was done (or would be), one step a line: in AWS, then (``settled``) in custody."""
        label = self.label
        if not self.reached:
            return []
        if self.dry_run:
            steps = [f"would {step}" for step in self.planned] or ["nothing to delete in AWS: the root user has none of them"]
            return [f"{label}: {step}" for step in steps + [f"would retire {item}" for item in self.custody]]
        if self.settled:  # told a second time, once custody is retired and recorded
            return [f"{label}: retired {item}" for item in self.custody] + [f"{label}: rootless"]
        return [f"{label}: {done}" for done in self.done or ["nothing to delete: the root user had none of them"]]

    def problem(self) -> str:
        """Why the account is not finished ("" when it is)."""
        if not self.error:
            return ""
        if not self.reached:
            return f"{self.label}: nothing changed: {self.error}"
        return f"{self.label}: stopped: {self.error}; custody left as it was; re-run to finish"


def rootless_by_record(journal: Journal) -> set[str] | None:
    """Accounts whose root credentials the journal says were deleted: they need no custody.

    Only a journal that verifies counts: None when it does not (a line appended by hand
    must not make an account's finding disappear).
    """
    if not transaction.verify(journal).ok:
        return None
    rootless: set[str] = set()
    for record in journal.records():  # in the chain's order: a later allow-recovery gave root a password again
        if record.get("event") == DELETE_ROOT_EVENT and not record.get("error"):
            rootless.add(record["account_id"])
        elif record.get("event") == "org.allow-recovery":
            rootless.discard(record.get("account_id"))
    return rootless


def delete_root_targets(ws: Workspace, aws: Aws, refs: list[str]) -> list[OrgAccount]:
    """Open both stores (a wrong password stops here, before any AWS call), then find and check the accounts."""
    ws.vault(with_seeds=True)
    ws.seeds()
    _org_id, management = aws.organization()
    targets = find_accounts(aws, refs, management)
    for target in targets:
        reachable(target, "; delete its root credentials signed in as root")
    return targets


def reachable(target: OrgAccount, management_fix: str = "") -> None:
    """Refuse what AssumeRoot cannot reach: the management account, and any account not ACTIVE."""
    if target.management:
        raise InputError(f"{target.account_id} is the management account: AssumeRoot cannot reach it{management_fix}")
    if not target.active:
        raise InputError(f"{target.account_id} is {target.state_text}: only ACTIVE accounts can be changed "
                         "(AssumeRoot reaches no other); see 'rootkeeper org accounts'")


def _chosen(found: RootCredentials, part: Part) -> RootCredentials:
    """The credentials of ``found`` that ``part`` deletes (all of them for a whole delete-root)."""
    if part.whole:
        return found
    missing = [d for d in part.devices if d not in found.mfa]
    if missing:
        raise AwsError(f"the root user has no MFA device {missing[0]} (it has "
                       f"{', '.join(found.mfa) or 'none'}): nothing changed", "NoSuchDevice")
    return RootCredentials(False, [s for s in found.mfa if s in part.devices],
                           found.access_keys if part.keys else [], found.certificates if part.keys else [])


def _delete_in_aws(aws: Aws, account: OrgAccount, result: Deletion, intent: Callable[[], object] | None = None,
                   part: Part = Part()) -> None:
    """List, then (unless dry-run) record the intent (``intent``) and delete what ``part`` chooses, then list
    again to prove none of it is left.

    A dry run assumes root with the *audit* task policy: it could not change anything
    even by mistake.
    """
    with aws_errors(f"assuming root in {account.account_id}"):
        iam = aws.root_iam(account.account_id, AUDIT_TASK if result.dry_run else DELETE_TASK)
        planned = _chosen(list_root_credentials(iam), part)
    result.planned = planned.steps()
    if result.dry_run:
        return
    if intent is not None and result.planned:
        intent()  # recorded before AWS changes anything: a command killed mid-way is never unrecorded
    try:
        with aws_errors(f"deleting root credentials in {account.account_id}"):
            if planned.login_profile:
                iam.delete_login_profile()
                result.done.append("deleted the root password (login profile)")
            for serial in planned.mfa:
                iam.deactivate_mfa_device(SerialNumber=serial)
                result.done.append(f"deactivated MFA device {serial}")
            for key in planned.access_keys:
                iam.delete_access_key(AccessKeyId=key)
                result.done.append(f"deleted access key {key}")
            for cert in planned.certificates:
                iam.delete_signing_certificate(CertificateId=cert)
                result.done.append(f"deleted signing certificate {cert}")
            # IAM is eventually consistent: a deletion can still be listed for a moment. Re-list until
            # nothing is left or the wait runs out; only an empty listing proves it.
            def remaining() -> RootCredentials:
                now = list_root_credentials(iam)
                return now if part.whole else RootCredentials(
                    False, [s for s in now.mfa if s in planned.mfa], [k for k in now.access_keys if k in planned.access_keys],
                    [c for c in now.certificates if c in planned.certificates])

            left = until_applied(remaining, pending=lambda r: isinstance(r, RootCredentials)
                                 and not r.empty, what="the deletion", budget=aws.propagation_wait)
        if not left.empty:
            result.error = "still present after deletion: " + "; ".join(left.steps())
    except AwsError as exc:
        result.error = f"{exc.code}: {exc.detail}"


def _delete_one(ws: Workspace, aws: Aws, target: OrgAccount, dry_run: bool, why: dict, part: Part = Part()) -> Deletion:
    entry, seed = ws.vault().get(target.account_id), ws.seeds().active(target.account_id)
    result = Deletion(target, dry_run)
    custody = [] if not part.whole else ([f"vault entry {entry.name!r}"] if entry is not None else []) + (
        ["its seed row(s)"] if seed is not None else [])
    def intent() -> None:
        ws.record({"event": DELETE_ROOT_INTENT, "account_id": target.account_id, "account_name": target.name,
                   **why, "planned": result.planned, **({} if part.whole else part.public())})

    try:
        _delete_in_aws(aws, target, result, intent, part)
    except AwsError as exc:
        result.reached, result.error = False, f"{exc.code}: {exc.detail}"
        return result
    if dry_run:
        result.custody = custody
        return result
    # AWS has changed (or had nothing to change): the record must exist, also when it stopped half-way. A
    # partial deletion has its own event: the account is not rootless, and keeps its custody.
    ws.record({"event": DELETE_ROOT_EVENT if part.whole else DELETE_PART_EVENT, "account_id": target.account_id,
               "account_name": target.name, **why, "deleted": result.done, "error": result.error,
               **({} if part.whole else part.public())})
    if not result.error:  # custody stays as it was until AWS is clean; a re-run finishes
        result.custody = custody  # retired by delete_root, every account's in one commit
    return result


def _retire_device_seeds(ws: Workspace, outcome: Deletion, arns: list[str], reason: str | None) -> None:
    """The seeds of devices deactivated in AWS (the account keeps another seed): retired, journaled."""
    if outcome.dry_run:
        outcome.custody += [f"its seed of {arn} (its other seeds are kept)" for arn in arns]
        return
    store = ws.seeds()
    for arn in arns:
        store.retire_device(outcome.account.account_id, arn)
    ws.commit([store], {"event": "seeds.retire-device", "account_id": outcome.account.account_id,
                        "account_name": outcome.account.name, "devices": arns, **reason_field(reason)})
    outcome.done += [f"retired its seed of {arn} in custody (its other seeds are kept)" for arn in arns]


def delete_root(ws: Workspace, aws: Aws, targets: list[OrgAccount], *, dry_run: bool,
                report: Callable[[Deletion], None] | None = None, reason: str | None = None,
                part: Part = Part()) -> list[Deletion]:
    """Delete the targets' root credentials through AssumeRoot, then retire their custody and journal it.
    ``part``: only the access keys and certificates, or named MFA devices; custody is then kept.

    ``report`` sees each account's outcome as soon as AWS has answered, and each finished account's again
    once its custody is retired: one commit for all of them (each store written once). Raises RootkeeperError
    naming the accounts not finished (their outcomes say why); a re-run finishes them.
    An account left with no root credentials is *rootless by record* (``rootless_by_record``).
    """
    seeded: dict[str, list[str]] = {}  # account -> the devices deactivated whose seeds custody keeps
    for target in targets:  # before any AWS call
        seeds = ws.seeds().seeds_of(target.account_id)
        mine = [r.device_arn for r in seeds if r.device_arn and r.device_arn in part.devices]
        if mine and len(mine) == len(seeds):
            raise InputError(f"MFA device {mine[0]} is the device of {target.account_id}'s seed in custody: "
                             "deactivating it alone leaves a seed that opens nothing; delete the whole root (without "
                             "--mfa-device), or re-enroll first ('rootkeeper enroll ID --step mfa --replace-seed')")
        if mine:  # the account keeps another seed: this one is retired once AWS has deactivated its device
            seeded[target.account_id] = mine
    if not dry_run:
        ws.journal_ready()
    outcomes = []
    for target in targets:
        outcome = _delete_one(ws, aws, target, dry_run, reason_field(reason), part)
        outcomes.append(outcome)
        if outcome.finished and target.account_id in seeded:
            _retire_device_seeds(ws, outcome, seeded[target.account_id], reason)
        if report is not None:
            report(outcome)
    finished = [o for o in outcomes if o.finished and not dry_run and part.whole]  # custody stays until AWS is clean
    retire.retire_all(ws, [(o.account.account_id, o.account.name) for o in finished if o.custody], reason=reason)
    for outcome in finished:
        outcome.settled = True
        if report is not None:
            report(outcome)
    failed = [o.account.account_id for o in outcomes if not o.finished]
    if failed:
        raise RootkeeperError(f"{len(failed)} account(s) not finished: {', '.join(failed)}: see the lines above, "
                              "fix the cause and re-run for them")
    return outcomes


# ------------------------------------------------------------------ allow-recovery
@dataclass
class Recovery:
    account: OrgAccount
    created: bool  # False: the root user already had a password; nothing changed


def allow_recovery(ws: Workspace, aws: Aws, ref: str) -> Recovery:
    """CreateLoginProfile for root with no password (AssumeRoot, IAMCreateRootUserPassword): the root
    e-mail's owner can then reset it. Journaled when something changed."""
    _org_id, management = aws.organization()
    (target,) = find_accounts(aws, [ref], management)
    reachable(target)
    ws.journal_ready()
    with aws_errors(f"allowing password recovery for {target.account_id}"):
        iam = aws.root_iam(target.account_id, RECOVERY_TASK)
        try:
            iam.create_login_profile()
            created = True
        except iam.exceptions.EntityAlreadyExistsException:
            created = False
    if created:
        ws.record({"event": "org.allow-recovery", "account_id": target.account_id, "account_name": target.name})
    return Recovery(target, created)


# ------------------------------------------------------------------ enable-central-root
# feature -> (the IAM client's method that enables it, the operation's name)
FEATURES = {"RootCredentialsManagement": ("enable_organizations_root_credentials_management",
                                          "iam:EnableOrganizationsRootCredentialsManagement"),
            "RootSessions": ("enable_organizations_root_sessions", "iam:EnableOrganizationsRootSessions")}
# What each feature gates (IAM User Guide, "Centrally manage root access for member accounts").
GATES = {"RootCredentialsManagement": "the IAM root tasks: audit, delete-root, allow-recovery",
         "RootSessions": "the S3 and SQS unlock tasks (S3UnlockBucketPolicy, SQSUnlockQueuePolicy)"}


@dataclass
class CentralRoot:
    trusted_access: bool
    features: list[str]  # the features that were on before
    changed: list[str] = field(default_factory=list)
    caller: str = ""
    management: str = ""

    @property
    def delegated(self) -> bool:
        """Run with credentials other than the management account's (a delegated administrator's)."""
        return self.caller != self.management

    def report(self) -> list[tuple[str, bool]]:
        """(what, was it already on) for trusted access and each feature, in the order they are enabled."""
        return [("trusted access for iam.amazonaws.com", self.trusted_access)] + [
            (feature, feature in self.features) for feature in FEATURES]


def _not_applied(code: str):
    return lambda outcome: isinstance(outcome, AwsError) and outcome.code == code


def enable_central_root(ws: Workspace, aws: Aws, *, dry_run: bool, say: Callable[[str], None] | None = None) -> CentralRoot:
    """Trusted access for iam.amazonaws.com, then RootCredentialsManagement and RootSessions.

    Only the management account may enable them; a delegated administrator for IAM can see what is
    on (and is told to use the management account). After trusted access is turned on, IAM may
    answer ServiceAccessNotEnabledException for a while: the Enable calls are retried, bounded,
    and the features are read back until AWS lists them. What it enabled is journaled (the journal is
    checked before the first change).
    """
    orgs, iam = aws.client("organizations"), aws.client("iam")
    with aws_errors("organizations:DescribeOrganization"):
        org = orgs.describe_organization()["Organization"]
    if org.get("FeatureSet") != "ALL":
        raise AwsError("the organization does not have all features enabled: enable them in AWS Organizations "
                       "first (centralized root access needs them)")
    state = CentralRoot(False, [], caller=aws.caller_account(), management=org["MasterAccountId"])
    if state.delegated:
        # Trusted access is the management account's to list; IAM's own listing says whether it is on.
        try:
            with aws_errors("iam:ListOrganizationsFeatures"):
                state.features = iam.list_organizations_features().get("EnabledFeatures", [])
            state.trusted_access = True
        except AwsError as exc:
            if exc.code != "ServiceAccessNotEnabledException":
                raise
        state.changed = [name for name, on in state.report() if not on]
        if state.changed and not dry_run:
            raise AwsError(f"these credentials are account {state.caller}'s, not the management account "
                           f"{state.management}'s, and only the management account may enable "
                           f"{', '.join(state.changed)} (a delegated administrator may audit, delete and disable): "
                           "run 'rootkeeper org enable-central-root' with the management account's credentials",
                           "CallerIsNotManagementAccountException")
        return state
    if not dry_run:
        ws.journal_ready()  # a change to the organization is never left unrecorded
    with aws_errors("organizations:ListAWSServiceAccessForOrganization"):
        principals = [s["ServicePrincipal"] for page in orgs.get_paginator(
            "list_aws_service_access_for_organization").paginate() for s in page["EnabledServicePrincipals"]]
    state.trusted_access = "iam.amazonaws.com" in principals
    if state.trusted_access:
        with aws_errors("iam:ListOrganizationsFeatures"):
            state.features = iam.list_organizations_features().get("EnabledFeatures", [])
    else:
        state.changed.append("trusted access for iam.amazonaws.com")
        if not dry_run:
            with aws_errors("organizations:EnableAWSServiceAccess"):
                orgs.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    trusted_pending = _not_applied("ServiceAccessNotEnabledException")
    for feature, (method, operation) in FEATURES.items():
        if feature in state.features:
            continue
        state.changed.append(feature)
        if dry_run:
            continue

        def enable(method=method, operation=operation):
            with aws_errors(operation):
                return getattr(iam, method)()

        until_applied(enable, pending=trusted_pending, what="trusted access for iam.amazonaws.com", say=say,
                      budget=aws.propagation_wait)
    if state.changed and not dry_run:
        def missing() -> set[str]:
            with aws_errors("iam:ListOrganizationsFeatures"):
                return set(FEATURES) - set(iam.list_organizations_features().get("EnabledFeatures", []))

        left = until_applied(missing, pending=lambda r: trusted_pending(r) or (isinstance(r, set) and bool(r)),
                             what="the features", say=say, budget=aws.propagation_wait)
        ws.record({"event": "org.enable-central-root", "enabled": state.changed, **({"not_listed_yet": sorted(left)}
                                                                                 if left else {})})
        if left:
            raise AwsError(f"AWS accepted the change but does not list {', '.join(sorted(left))} yet: "
                           "re-run 'rootkeeper org enable-central-root' in a few minutes", "NotApplied")
    return state
