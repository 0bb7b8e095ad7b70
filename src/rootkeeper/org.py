"""The organization: its accounts, reconciliation with custody, the root-credential audit,
and acting through centralized root access (``sts:AssumeRoot``).

boto3 is imported here only, and only when an ``org`` command runs. Credentials,
profiles, regions and endpoints come the boto3 way (the standard chain,
``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``); retries are botocore's
adaptive mode. Every AWS failure keeps its error code: access denied, throttled
after retries and no-such-thing are different answers and are never read as
"nothing found".
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from .accounts import is_account_id
from .errors import CheckFailed, ConfigError, InputError, NotFoundError, RootkeeperError

TASK = "arn:aws:iam::aws:policy/root-task/"
AUDIT_TASK = TASK + "IAMAuditRootUserCredentials"
DELETE_TASK = TASK + "IAMDeleteRootUserCredentials"
RECOVERY_TASK = TASK + "IAMCreateRootUserPassword"
VERDICTS = ("ROOTLESS", "CUSTODIED", "NO_MFA", "ROOT_ACCESS_KEYS", "SEED_MISSING", "SEED_MISMATCH",
            "NOT_IN_VAULT", "UNREACHABLE")
GOOD = {"ROOTLESS", "CUSTODIED"}
EXPLAIN = {
    "ROOTLESS": "no root password, MFA, access key or certificate: nothing to keep",
    "CUSTODIED": "password in the vault, seed in the store, and AWS's MFA serial is the seed's device",
    "NO_MFA": "the root user has a password and no MFA device",
    "ROOT_ACCESS_KEYS": "the root user has access keys or signing certificates: delete them",
    "SEED_MISSING": "AWS has a root MFA device, the seed store has no seed for the account",
    "SEED_MISMATCH": "the root MFA device in AWS is not the seed's device, or another device sits beside it",
    "NOT_IN_VAULT": "the root user has a password (or MFA), the vault has no entry for the account",
    "UNREACHABLE": "the account could not be audited: see the error code",
}


class AwsError(RootkeeperError):
    """AWS refused or could not be reached (exit status 2)."""


def error_code(exc: BaseException) -> tuple[str, str]:
    """(code, message) of a botocore error; the code is what AWS said, never a guess."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return str(err.get("Code") or "Unknown"), str(err.get("Message") or "")
    return type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else ""


def describe_error(exc: BaseException, doing: str) -> AwsError:
    code, message = error_code(exc)
    hints = {
        "NoCredentialsError": "no AWS credentials found: set AWS_PROFILE or pass --profile, or export AWS credentials",
        "ProfileNotFound": "that AWS profile does not exist: check --profile / AWS_PROFILE against ~/.aws/config",
        "EndpointConnectionError": "AWS could not be reached: check the network, --region and AWS_ENDPOINT_URL",
        "AWSOrganizationsNotInUseException": "these credentials' account is not in an organization: use the "
                                             "management account's credentials",
        "AccessDeniedException": "these credentials may not read the organization: use the management account or "
                                 "a delegated administrator",
        "AccessDenied": "access denied: use the management account's credentials (or a delegated administrator)",
        "ServiceAccessNotEnabledException": "trusted access for iam.amazonaws.com is off: run "
                                            "'rootkeeper org enable-central-root'",
    }
    fix = hints.get(code, "check the credentials, --profile and --region, then re-run")
    detail = f" ({message})" if message and code not in ("NoCredentialsError",) else ""
    return AwsError(f"{doing} failed with {code}{detail}: {fix}")


@dataclass
class OrgAccount:
    account_id: str
    name: str
    email: str
    status: str
    joined: str = ""
    ou_path: str = ""
    management: bool = False

    def as_dict(self) -> dict:
        return {"account_id": self.account_id, "name": self.name, "email": self.email, "status": self.status,
                "ou_path": self.ou_path, "joined": self.joined, "management": self.management}


def _switchable():
    """Credentials that change per thread: one IAM client serves every account a worker audits.

    botocore asks for frozen credentials on every request it signs; each worker sets
    the account's temporary credentials before its calls. Creating a client per account
    costs about 4 ms of CPU under the GIL, which at 10,000 accounts is the bottleneck.
    """
    from botocore.credentials import Credentials, ReadOnlyCredentials

    class Switchable(Credentials):
        method = "rootkeeper-session"

        def __init__(self) -> None:  # no super().__init__: the values live per thread
            self._local = threading.local()
            self.account_id = None

        def use(self, creds: dict) -> None:
            self._local.frozen = ReadOnlyCredentials(creds["AccessKeyId"], creds["SecretAccessKey"],
                                                     creds.get("SessionToken"))

        def get_frozen_credentials(self):
            return self._local.frozen

        access_key = property(lambda self: self._local.frozen.access_key, lambda self, v: None)
        secret_key = property(lambda self: self._local.frozen.secret_key, lambda self, v: None)
        token = property(lambda self: self._local.frozen.token, lambda self, v: None)

    return Switchable()


class Aws:
    """One boto3 session for a command: clients made once and shared by the workers."""

    def __init__(self, profile: str | None = None, region: str | None = None, concurrency: int = 16) -> None:
        try:
            import boto3
            import botocore.session
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError
        except ImportError as exc:  # pragma: no cover - boto3 is a dependency
            raise ConfigError("boto3 is not installed: pip install rootkeeper (it depends on boto3)") from exc
        self._BotoCoreError = BotoCoreError
        self.profile = profile
        try:
            core = botocore.session.Session(profile=profile)
            core.set_config_variable("sts_regional_endpoints", "regional")  # AssumeRoot: regional STS only
            self.session = boto3.session.Session(botocore_session=core)
            self.region = region or self.session.region_name or "us-east-1"
        except BotoCoreError as exc:
            raise describe_error(exc, "reading the AWS configuration") from exc
        retries: dict = {"mode": "adaptive"}
        if not os.environ.get("AWS_MAX_ATTEMPTS"):
            retries["total_max_attempts"] = 8  # AWS_MAX_ATTEMPTS counts the same way
        self.config = Config(retries=retries, max_pool_connections=max(10, concurrency + 2), connect_timeout=10,
                             read_timeout=60, user_agent_extra="rootkeeper")
        self._clients: dict[str, object] = {}
        self._lock = threading.Lock()
        self._switch = _switchable()
        self._switch_core = None
        self._local = threading.local()
        self.calls = 0

    def client(self, name: str):
        with self._lock:
            if name not in self._clients:
                self._clients[name] = self.session.client(name, region_name=self.region, config=self.config)
            return self._clients[name]

    def session_iam(self, creds: dict):
        """This thread's IAM client, signing with ``creds`` (an AssumeRoot or AssumeRole result)."""
        client = getattr(self._local, "iam", None)
        if client is None:
            with self._lock:
                if self._switch_core is None:
                    import botocore.session
                    from botocore.credentials import CredentialProvider

                    switch = self._switch

                    class Provider(CredentialProvider):
                        METHOD = switch.method

                        def load(self):
                            return switch

                    core = botocore.session.Session(profile=self.profile)
                    core.set_config_variable("sts_regional_endpoints", "regional")
                    core.get_component("credential_provider").insert_before("env", Provider())
                    self._switch_core = core
                # One session (one copy of the IAM model), one client per worker thread.
                client = self._switch_core.create_client("iam", region_name=self.region, config=self.config)
            self._local.iam = client
        self._switch.use(creds)
        return client

    def failed(self, exc: BaseException) -> bool:
        from botocore.exceptions import ClientError

        return isinstance(exc, ClientError | self._BotoCoreError)

    # ------------------------------------------------------------ the organization
    def organization(self) -> tuple[str, str]:
        """(organization id, management account id)."""
        try:
            org = self.client("organizations").describe_organization()["Organization"]
        except Exception as exc:
            if self.failed(exc):
                raise describe_error(exc, "organizations:DescribeOrganization") from exc
            raise
        return org["Id"], org["MasterAccountId"]

    def caller_account(self) -> str:
        try:
            return self.client("sts").get_caller_identity()["Account"]
        except Exception as exc:
            if self.failed(exc):
                raise describe_error(exc, "sts:GetCallerIdentity") from exc
            raise

    def iter_accounts(self, management: str) -> Iterator[OrgAccount]:
        """Every account, page by page (ListAccounts pages hold at most 20)."""
        pages = self.client("organizations").get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 20})
        try:
            for page in pages:
                for a in page["Accounts"]:
                    yield _account(a, management)
        except Exception as exc:
            if self.failed(exc):
                raise describe_error(exc, "organizations:ListAccounts") from exc
            raise

    def accounts_with_paths(self, workers: int = 8) -> list[OrgAccount]:
        """Every account with its OU path: the tree walked from the root, every page of every level,
        OUs visited concurrently (each OU's pages are sequential by nature)."""
        from concurrent.futures import FIRST_COMPLETED, wait

        _org_id, management = self.organization()
        orgs = self.client("organizations")

        def visit(parent: str, path: str) -> tuple[list[OrgAccount], list[tuple[str, str]]]:
            found = []
            for page in orgs.get_paginator("list_accounts_for_parent").paginate(
                    ParentId=parent, PaginationConfig={"PageSize": 20}):
                for a in page["Accounts"]:
                    account = _account(a, management)
                    account.ou_path = path
                    found.append(account)
            children = [(ou["Id"], f"{path}/{ou['Name']}")
                        for page in orgs.get_paginator("list_organizational_units_for_parent").paginate(
                            ParentId=parent, PaginationConfig={"PageSize": 20})
                        for ou in page["OrganizationalUnits"]]
            return found, children

        out: list[OrgAccount] = []
        try:
            roots = [r for page in orgs.get_paginator("list_roots").paginate() for r in page["Roots"]]
            with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="walk") as pool:
                pending = {pool.submit(visit, r["Id"], "/" + r.get("Name", "Root")) for r in roots}
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        found, children = future.result()
                        out += found
                        pending |= {pool.submit(visit, child, path) for child, path in children}
        except Exception as exc:
            if self.failed(exc):
                raise describe_error(exc, "listing the organization") from exc
            raise
        return sorted(out, key=_listed_order)

    def find_accounts(self, refs: list[str], management: str) -> list[OrgAccount]:
        """ACCOUNT arguments to accounts: one DescribeAccount per id, the whole listing only for names."""
        if not all(is_account_id(r) for r in refs):
            return resolve(list(self.iter_accounts(management)), refs)
        found = []
        for ref in dict.fromkeys(refs):
            try:
                found.append(_account(self.client("organizations").describe_account(AccountId=ref)["Account"], management))
            except Exception as exc:
                if error_code(exc)[0] == "AccountNotFoundException":
                    raise _not_in_org(ref) from None
                if self.failed(exc):
                    raise describe_error(exc, "organizations:DescribeAccount") from exc
                raise
        return found

    def assume_root(self, account_id: str, task_arn: str) -> dict:
        return self.client("sts").assume_root(TargetPrincipal=account_id, TaskPolicyArn={"arn": task_arn},
                                              DurationSeconds=900)["Credentials"]


def _listed_order(account: OrgAccount) -> tuple:
    """The management account first, then by name."""
    return (not account.management, account.name.lower(), account.account_id)


def _account(a: dict, management: str) -> OrgAccount:
    joined = a.get("JoinedTimestamp")
    return OrgAccount(a["Id"], a.get("Name", ""), a.get("Email", ""), a.get("Status", ""),
                      joined.strftime("%Y-%m-%dT%H:%M:%SZ") if joined else "", "", a["Id"] == management)


def _not_in_org(ref: str) -> NotFoundError:
    return NotFoundError(f"account {ref} is not in the organization: check the id with 'rootkeeper org accounts'")


def resolve(accounts: list[OrgAccount], refs: Iterable[str]) -> list[OrgAccount]:
    """ACCOUNT arguments (12-digit ids or exact names) to organization accounts."""
    by_id = {a.account_id: a for a in accounts}
    by_name: dict[str, list[OrgAccount]] = {}
    for a in accounts:
        by_name.setdefault(a.name, []).append(a)
    out: list[OrgAccount] = []
    for ref in refs:
        if is_account_id(ref):
            if ref not in by_id:
                raise _not_in_org(ref)
            found = by_id[ref]
        else:
            matches = by_name.get(ref, [])
            if not matches:
                raise NotFoundError(f"no account named {ref!r} in the organization: give its 12-digit id, or check "
                                    "'rootkeeper org accounts'")
            if len(matches) > 1:
                raise InputError(f"{len(matches)} accounts are named {ref!r}: give the 12-digit id instead")
            found = matches[0]
        if found not in out:
            out.append(found)
    return out


class Selection:
    """ACCOUNT arguments matched while the listing streams in; ``check()`` afterwards says what was not found."""

    def __init__(self, refs: Iterable[str]) -> None:
        self.refs = list(refs)
        self._ids = {r for r in self.refs if is_account_id(r)}
        self._names = {r for r in self.refs if not is_account_id(r)}
        self.matched: list[OrgAccount] = []

    def __call__(self, accounts: Iterable[OrgAccount]) -> Iterator[OrgAccount]:
        for account in accounts:
            if account.account_id in self._ids or account.name in self._names:
                self.matched.append(account)
                yield account

    def check(self) -> None:
        resolve(self.matched, self.refs)


# ------------------------------------------------------------------ reading the root user
# (operation, result key, id field): every list call the audit and delete-root make.
MFA_DEVICES = ("list_mfa_devices", "MFADevices", "SerialNumber")
ACCESS_KEYS = ("list_access_keys", "AccessKeyMetadata", "AccessKeyId")
CERTIFICATES = ("list_signing_certificates", "Certificates", "CertificateId")


def _ids(iam, listing: tuple[str, str, str], **params) -> tuple[list[str], int]:
    """Every id of a paged IAM list call, and how many pages (calls) it took."""
    operation, key, id_field = listing
    ids, pages = [], 0
    for page in iam.get_paginator(operation).paginate(**params):
        pages += 1
        ids += [item[id_field] for item in page[key]]
    return ids, pages


def _has_login_profile(iam) -> bool:
    """NoSuchEntity here means "no root password", the one place where an error is an answer."""
    try:
        iam.get_login_profile()
    except iam.exceptions.NoSuchEntityException:
        return False
    return True


# ------------------------------------------------------------------ the audit
@dataclass
class RootFacts:
    password: bool = False
    mfa_enabled: bool = False
    mfa: list[str] = field(default_factory=list)  # serial numbers
    access_keys: list[str] = field(default_factory=list)
    access_keys_present: bool = False
    certificates: list[str] = field(default_factory=list)
    certificates_present: bool = False
    calls: int = 0


@dataclass
class Custody:
    """What the vault and the seed store hold, per account id (no secrets)."""

    vault: dict[str, str]  # account id -> entry name (active entries)
    seeds: dict[str, str]  # account id -> device ARN of the active seed

    @classmethod
    def load(cls, vault, store) -> Custody:
        return cls({e.account_id: e.name for e in vault.entries()},
                   {r.account_id: r.device_arn for r in store.active_rows()})


@dataclass
class AuditRow:
    account: OrgAccount
    verdict: str
    facts: RootFacts | None = None
    error: str = ""
    message: str = ""
    vault: bool = False
    seed_device_arn: str = ""
    findings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        f = self.facts
        return {"account_id": self.account.account_id, "name": self.account.name, "email": self.account.email,
                "management": self.account.management, "verdict": self.verdict, "error": self.error,
                "message": self.message,
                "password": None if f is None else f.password,
                "mfa": None if f is None else f.mfa,
                "mfa_enabled": None if f is None else f.mfa_enabled,
                "access_keys": None if f is None else (f.access_keys or (["present"] if f.access_keys_present else [])),
                "signing_certificates": None if f is None else (
                    f.certificates or (["present"] if f.certificates_present else [])),
                "vault": self.vault, "seed_device_arn": self.seed_device_arn, "findings": self.findings,
                "calls": 0 if f is None else f.calls}


def verdict(facts: RootFacts, in_vault: bool, device_arn: str | None) -> tuple[str, list[str]]:
    """One verdict per account (the most severe finding), and every finding."""
    findings = []
    if facts.access_keys_present or facts.access_keys or facts.certificates_present or facts.certificates:
        findings.append("ROOT_ACCESS_KEYS")
    has_mfa = facts.mfa_enabled or bool(facts.mfa)
    if not facts.password and not has_mfa and not findings:
        return "ROOTLESS", []
    if facts.password or has_mfa:
        if facts.password and not has_mfa:
            findings.append("NO_MFA")
        if not in_vault:
            findings.append("NOT_IN_VAULT")
        if has_mfa:
            if device_arn is None:
                findings.append("SEED_MISSING")
            elif device_arn not in facts.mfa or len(set(facts.mfa)) > 1:
                # Not our device, or ours plus another one: someone else can also pass root's MFA.
                findings.append("SEED_MISMATCH")
    if not findings:
        return "CUSTODIED", []
    return findings[0], findings


class Auditor:
    """Audits accounts concurrently; one failing account never stops the others."""

    def __init__(self, aws: Aws, custody: Custody, via: str = "assume-root", concurrency: int = 16) -> None:
        if via != "assume-root" and not (via.startswith("role:") and len(via) > 5):
            raise InputError(f"--via {via!r} is not understood: use 'assume-root' or 'role:NAME'")
        if not 1 <= concurrency <= 256:
            raise InputError(f"--concurrency {concurrency} is out of range: choose 1-256")
        self.aws, self.custody, self.via, self.concurrency = aws, custody, via, concurrency

    def _probe_root_session(self, account: OrgAccount) -> RootFacts:
        facts = RootFacts()
        creds = self.aws.assume_root(account.account_id, AUDIT_TASK)
        iam = self.aws.session_iam(creds)
        facts.calls = 1
        return self._summarize(iam, facts, root_session=True)

    def _probe_identity(self, account: OrgAccount) -> RootFacts:
        facts = RootFacts()
        if account.management:
            iam = self.aws.client("iam")
        else:
            role = self.via.removeprefix("role:")
            creds = self.aws.client("sts").assume_role(
                RoleArn=f"arn:aws:iam::{account.account_id}:role/{role}", RoleSessionName="rootkeeper-audit",
                DurationSeconds=900)["Credentials"]
            iam = self.aws.session_iam(creds)
            facts.calls = 1
        return self._summarize(iam, facts, root_session=False)

    @staticmethod
    def _summarize(iam, facts: RootFacts, *, root_session: bool) -> RootFacts:
        """GetAccountSummary answers all four questions in one call; lists only where it says yes."""
        summary = iam.get_account_summary()["SummaryMap"]
        facts.calls += 1
        if "AccountPasswordPresent" in summary:
            facts.password = bool(summary["AccountPasswordPresent"])
        elif root_session:
            facts.calls += 1
            facts.password = _has_login_profile(iam)
        facts.mfa_enabled = bool(summary.get("AccountMFAEnabled"))
        facts.access_keys_present = bool(summary.get("AccountAccessKeysPresent"))
        facts.certificates_present = bool(summary.get("AccountSigningCertificatesPresent"))
        if facts.mfa_enabled:
            if root_session:
                facts.mfa, pages = _ids(iam, MFA_DEVICES)
                facts.calls += pages
            else:  # a role sees the root's virtual devices only, through their assignment
                for page in iam.get_paginator("list_virtual_mfa_devices").paginate(AssignmentStatus="Assigned"):
                    facts.calls += 1
                    facts.mfa += [d["SerialNumber"] for d in page["VirtualMFADevices"]
                                  if d.get("User", {}).get("Arn", "").endswith(":root")]
        if root_session and facts.access_keys_present:
            facts.access_keys, pages = _ids(iam, ACCESS_KEYS)
            facts.calls += pages
        if root_session and facts.certificates_present:
            facts.certificates, pages = _ids(iam, CERTIFICATES)
            facts.calls += pages
        return facts

    def audit_one(self, account: OrgAccount, caller: str | None = None) -> AuditRow:
        in_vault = account.account_id in self.custody.vault
        device = self.custody.seeds.get(account.account_id)
        row = AuditRow(account, "UNREACHABLE", vault=in_vault, seed_device_arn=device or "")
        if account.management and caller is not None and caller != account.account_id:
            row.error, row.message = "NotManagementCredentials", (
                "the management account's root user is audited with its own credentials: run with them")
            return row
        try:
            if account.management or self.via != "assume-root":
                facts = self._probe_identity(account)
            else:
                facts = self._probe_root_session(account)
        except Exception as exc:
            if not self.aws.failed(exc):
                raise
            row.error, row.message = error_code(exc)
            return row
        row.facts = facts
        row.verdict, row.findings = verdict(facts, in_vault, device)
        return row

    def run(self, accounts: Iterable[OrgAccount], caller: str | None,
            on_listed: Callable[[int], None] | None = None,
            on_done: Callable[[AuditRow], None] | None = None) -> list[AuditRow]:
        """Audit while the listing goes on: pages keep arriving as the first accounts are audited."""
        futures = []
        pool = ThreadPoolExecutor(max_workers=self.concurrency, thread_name_prefix="audit")
        try:
            for account in accounts:
                if account.status != "ACTIVE":
                    continue
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
        return sorted(rows, key=lambda r: _listed_order(r.account))


def audit_fields() -> list[str]:
    return ["account_id", "name", "email", "management", "verdict", "error", "message", "password", "mfa",
            "mfa_enabled", "access_keys", "signing_certificates", "vault", "seed_device_arn", "findings", "calls"]


def audit_outcome(rows: list[AuditRow]) -> None:
    bad = [r for r in rows if r.verdict not in GOOD]
    if bad:
        raise CheckFailed(f"{len(bad)} of {len(rows)} accounts are neither ROOTLESS nor CUSTODIED")


# ------------------------------------------------------------------ acting through AssumeRoot
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
    return RootCredentials(_has_login_profile(iam), _ids(iam, MFA_DEVICES)[0], _ids(iam, ACCESS_KEYS)[0],
                           _ids(iam, CERTIFICATES)[0])


@dataclass
class Deletion:
    account: OrgAccount
    planned: RootCredentials
    done: list[str] = field(default_factory=list)
    error: str = ""


def delete_root_credentials(aws: Aws, account: OrgAccount, *, dry_run: bool) -> Deletion:
    """List, then (unless dry-run) delete, then list again to prove nothing is left.

    A dry run assumes root with the *audit* task policy: it could not change anything
    even by mistake.
    """
    creds = aws.assume_root(account.account_id, AUDIT_TASK if dry_run else DELETE_TASK)
    iam = aws.session_iam(creds)
    planned = list_root_credentials(iam)
    result = Deletion(account, planned)
    if dry_run:
        return result
    try:
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
        left = list_root_credentials(iam)
        if not left.empty:
            result.error = "still present after deletion: " + "; ".join(left.steps())
    except Exception as exc:
        if not aws.failed(exc):
            raise
        code, message = error_code(exc)
        result.error = f"{code}: {message}"
    return result


def allow_recovery(aws: Aws, account: OrgAccount) -> bool:
    """CreateLoginProfile for root (no password): the root e-mail can then reset it. False if one exists."""
    iam = aws.session_iam(aws.assume_root(account.account_id, RECOVERY_TASK))
    try:
        iam.create_login_profile()
    except iam.exceptions.EntityAlreadyExistsException:
        return False
    return True


FEATURES = {"RootCredentialsManagement": "enable_organizations_root_credentials_management",
            "RootSessions": "enable_organizations_root_sessions"}


@dataclass
class CentralRoot:
    trusted_access: bool
    features: list[str]
    changed: list[str] = field(default_factory=list)


def enable_central_root(aws: Aws, *, dry_run: bool) -> CentralRoot:
    orgs, iam = aws.client("organizations"), aws.client("iam")
    try:
        org = orgs.describe_organization()["Organization"]
        if org.get("FeatureSet") != "ALL":
            raise AwsError("the organization does not have all features enabled: enable them in AWS Organizations "
                           "first (centralized root access needs them)")
        principals = [s["ServicePrincipal"] for page in orgs.get_paginator(
            "list_aws_service_access_for_organization").paginate() for s in page["EnabledServicePrincipals"]]
        state = CentralRoot("iam.amazonaws.com" in principals, [])
        if state.trusted_access:
            state.features = iam.list_organizations_features().get("EnabledFeatures", [])
        else:
            state.changed.append("trusted access for iam.amazonaws.com")
            if not dry_run:
                orgs.enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
        for feature, method in FEATURES.items():
            if feature not in state.features:
                state.changed.append(feature)
                if not dry_run:
                    getattr(iam, method)()
    except AwsError:
        raise
    except Exception as exc:
        if aws.failed(exc):
            raise describe_error(exc, "enabling centralized root access") from exc
        raise
    return state


# ------------------------------------------------------------------ reconciliation
@dataclass
class Finding:
    kind: str
    account_id: str
    name: str
    detail: str
    fix: str = ""

    def as_dict(self) -> dict:
        return {"kind": self.kind, "account_id": self.account_id, "name": self.name, "detail": self.detail, "fix": self.fix}


def _q(text: str) -> str:
    import shlex

    return shlex.quote(text)


def reconcile(accounts: list[OrgAccount], vault, store, rootless: set[str]) -> list[Finding]:
    """The organization against the vault and the seed store. ``rootless``: accounts whose root
    credentials the journal says were deleted (``org delete-root``), which need no custody."""
    out: list[Finding] = []
    by_id = {a.account_id: a for a in accounts}
    entries = {e.account_id: e for e in vault.entries()}
    seeds = {r.account_id: r for r in store.active_rows()}
    for a in accounts:
        entry, seed = entries.get(a.account_id), seeds.get(a.account_id)
        if a.status != "ACTIVE":
            continue
        if entry is None and seed is None:
            if a.account_id in rootless:
                continue
            out.append(Finding("not-enrolled", a.account_id, a.name, "no vault entry and no seed",
                               f"rootkeeper enroll {a.account_id} --name {_q(a.name)} --email {_q(a.email)}"))
            continue
        if entry is None:
            out.append(Finding("no-password", a.account_id, a.name, "a seed but no vault entry",
                               f"rootkeeper enroll {a.account_id} --name {_q(a.name)} --email {_q(a.email)} --step password"))
        elif seed is None:
            out.append(Finding("no-seed", a.account_id, a.name, "a vault entry but no seed",
                               f"rootkeeper enroll {a.account_id} --step mfa"))
        for where, held in (("vault", entry), ("seed store", seed)):
            if held is None:
                continue
            held_name = held.name if where == "vault" else held.account_name
            if held_name != a.name:
                out.append(Finding("name-drift", a.account_id, a.name,
                                   f"the {where} says {held_name!r}, the organization {a.name!r}",
                                   "rename the entry in KeePassXC" if where == "vault" else "re-import the seed row"))
            if held.email.lower() != a.email.lower():
                out.append(Finding("email-drift", a.account_id, a.name,
                                   f"the {where} says {held.email!r}, the organization {a.email!r}",
                                   "correct the e-mail in KeePassXC" if where == "vault" else "re-import the seed row"))
    for account_id in sorted(set(entries) | set(seeds)):
        a = by_id.get(account_id)
        name = entries[account_id].name if account_id in entries else seeds[account_id].account_name
        if a is None:
            out.append(Finding("gone", account_id, name, "custodied, but not in the organization",
                               f"rootkeeper retire {account_id}"))
        elif a.status != "ACTIVE":
            out.append(Finding("closed", account_id, name, f"custodied, but the account is {a.status}",
                               f"rootkeeper retire {account_id}"))
    return out
