"""One boto3 session per command, and the one place where AWS failures become ``AwsError``.

boto3 is imported here only, and only when an ``org`` command runs. Credentials,
profiles, regions and endpoints come the boto3 way (the standard chain,
``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``); retries are botocore's
adaptive mode. Every AWS failure keeps its error code: access denied, throttled
after retries and no-such-thing are different answers and are never read as
"nothing found".
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from ..errors import AwsError, ConfigError

TASK = "arn:aws:iam::aws:policy/root-task/"
AUDIT_TASK = TASK + "IAMAuditRootUserCredentials"
DELETE_TASK = TASK + "IAMDeleteRootUserCredentials"
RECOVERY_TASK = TASK + "IAMCreateRootUserPassword"

_HINTS = {
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


# ------------------------------------------------------------------ failures
def is_aws_failure(exc: BaseException) -> bool:
    """Did AWS (or the way to it) fail, as opposed to a bug here?"""
    from botocore.exceptions import BotoCoreError, ClientError

    return isinstance(exc, ClientError | BotoCoreError)


def error_code(exc: BaseException) -> tuple[str, str]:
    """(code, message) of a botocore error; the code is what AWS said, never a guess."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response["Error"]
        return str(err.get("Code") or "Unknown"), str(err.get("Message") or "")
    return type(exc).__name__, str(exc).splitlines()[0][:200] if str(exc) else ""


def describe_error(exc: BaseException, doing: str) -> AwsError:
    code, message = error_code(exc)
    fix = _HINTS.get(code, "check the credentials, --profile and --region, then re-run")
    detail = f" ({message})" if message and code not in ("NoCredentialsError",) else ""
    return AwsError(f"{doing} failed with {code}{detail}: {fix}", code, message)


@contextlib.contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Turn an AWS failure inside the block into ``AwsError`` naming ``doing``; anything else passes."""
    try:
        yield
    except AwsError:
        raise
    except Exception as exc:
        if is_aws_failure(exc):
            raise describe_error(exc, doing) from exc
        raise


# ------------------------------------------------------------------ the session
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

    def organization(self) -> tuple[str, str]:
        """(organization id, management account id)."""
        with aws_errors("organizations:DescribeOrganization"):
            org = self.client("organizations").describe_organization()["Organization"]
        return org["Id"], org["MasterAccountId"]

    def caller_account(self) -> str:
        with aws_errors("sts:GetCallerIdentity"):
            return self.client("sts").get_caller_identity()["Account"]

    def assume_root(self, account_id: str, task_arn: str) -> dict:
        """Temporary root credentials for one member account, limited to one task policy (AWS errors pass)."""
        return self.client("sts").assume_root(TargetPrincipal=account_id, TaskPolicyArn={"arn": task_arn},
                                              DurationSeconds=900)["Credentials"]

    def root_iam(self, account_id: str, task_arn: str):
        """This thread's IAM client inside ``account_id``'s root session (AssumeRoot with ``task_arn``)."""
        return self.session_iam(self.assume_root(account_id, task_arn))


# ------------------------------------------------------------------ reading the root user
# (operation, result key, id field): every list call the audit and delete-root make.
MFA_DEVICES = ("list_mfa_devices", "MFADevices", "SerialNumber")
ACCESS_KEYS = ("list_access_keys", "AccessKeyMetadata", "AccessKeyId")
CERTIFICATES = ("list_signing_certificates", "Certificates", "CertificateId")


def paged_ids(iam, listing: tuple[str, str, str], **params) -> tuple[list[str], int]:
    """Every id of a paged IAM list call, and how many pages (calls) it took."""
    operation, key, id_field = listing
    ids, pages = [], 0
    for page in iam.get_paginator(operation).paginate(**params):
        pages += 1
        ids += [item[id_field] for item in page[key]]
    return ids, pages


def has_login_profile(iam) -> bool:
    """NoSuchEntity here means "no root password", the one place where an error is an answer."""
    try:
        iam.get_login_profile()
    except iam.exceptions.NoSuchEntityException:
        return False
    return True
