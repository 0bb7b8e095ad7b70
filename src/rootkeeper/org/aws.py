"""One boto3 session per command, and the one place where AWS failures become ``AwsError``.

boto3 is imported here only, and only when an ``org`` command runs. Credentials,
profiles, regions and endpoints come the boto3 way (the standard chain,
``AWS_PROFILE``, ``AWS_REGION``, ``AWS_ENDPOINT_URL``); retries are botocore's
adaptive mode. Every AWS failure keeps its error code: access denied, throttled
after retries and no-such-thing are different answers and are never read as
"nothing found". An answer that is not AWS's (an HTML error page, a body that does
not parse, a field missing) is a failure with its own code, never a crash.

Timeouts fit an interactive tool: 5 s to connect, 20 s to read, and no new attempt
of a call starts once it could not end within 45 s of the first (a never-answering
endpoint stops a call after about 41 s instead of botocore's 8 minutes). Override
with ROOTKEEPER_AWS_CONNECT_TIMEOUT, ROOTKEEPER_AWS_READ_TIMEOUT and
ROOTKEEPER_AWS_CALL_BUDGET (seconds).
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..errors import AwsError, ConfigError

if TYPE_CHECKING:
    from ..storage.settings import Settings

# AWS's root-task policies (names; ``Aws.task_arn`` puts them in the session's partition).
AUDIT_TASK = "IAMAuditRootUserCredentials"
DELETE_TASK = "IAMDeleteRootUserCredentials"
RECOVERY_TASK = "IAMCreateRootUserPassword"
# Partitions whose root tasks AWS documents (the IAM User Guide and docs.amazonaws.cn's STS reference).
ROOT_TASK_PARTITIONS = ("aws", "aws-cn", "aws-us-gov")

_HINTS = {
    "NoCredentialsError": "no AWS credentials found: set AWS_PROFILE or pass --profile, or export AWS credentials",
    "ProfileNotFound": "that AWS profile does not exist: check --profile / AWS_PROFILE against ~/.aws/config",
    "EndpointConnectionError": "AWS could not be reached: check the network, --region and AWS_ENDPOINT_URL",
    "AWSOrganizationsNotInUseException": "these credentials' account is not in an organization: use the "
                                         "management account's credentials",
    "AccessDeniedException": "these credentials may not read the organization: use the management account or "
                             "a delegated administrator",
    "AccessDenied": "access denied: use the management account's credentials (or a delegated administrator)",
}  # refusals that say why (a feature off, an SCP, a delegate enabling...): org/denials.py


class CallBudgetExceeded(Exception):
    """No answer within the call's budget: raised before another attempt would start."""


class MalformedAnswer(Exception):
    """The endpoint answered, but not with what the API promises (a field missing, a wrong type)."""


# ------------------------------------------------------------------ failures
def is_aws_failure(exc: BaseException) -> bool:
    """Did AWS (or the way to it) fail, as opposed to a bug here?"""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    # ResponseParserError (an HTML page, a body that does not parse) is not a BotoCoreError.
    return isinstance(exc, ClientError | BotoCoreError | ResponseParserError | CallBudgetExceeded
                      | MalformedAnswer | UnicodeDecodeError)


def error_code(exc: BaseException) -> tuple[str, str]:
    """(code, message) of a botocore error; the code is what AWS said, never a guess. One line."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        err = response["Error"]
        return _one_line(err.get("Code") or "Unknown", 80), _one_line(err.get("Message") or "", 200)
    if type(exc).__name__ == "ResponseParserError":
        return "MalformedResponse", "the endpoint's answer is not an AWS API answer (an HTML error page?)"
    if isinstance(exc, UnicodeDecodeError):
        return "MalformedResponse", "the endpoint's answer is not text"
    if isinstance(exc, CallBudgetExceeded):
        return "Timeout", _one_line(exc, 200)
    return type(exc).__name__, _one_line(exc, 200)


def _one_line(value, limit: int) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def describe_error(exc: BaseException, doing: str) -> AwsError:
    from .denials import explain

    code, message = error_code(exc)
    fix = explain(code, message, doing=doing) or _HINTS.get(code, "check the credentials, --profile and --region, then re-run")
    detail = f" ({message})" if message and code not in ("NoCredentialsError",) else ""
    return AwsError(f"{doing} failed with {code}{detail}: {fix}", code, message, doing)


@contextlib.contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Turn an AWS failure inside the block into ``AwsError`` naming ``doing``; anything else passes."""
    try:
        yield
    except AwsError:
        raise
    except (KeyError, TypeError) as exc:
        # An answer without a field the API always has (the endpoint is not AWS, or is broken).
        raise describe_error(MalformedAnswer(f"the answer lacks {exc}"), doing) from exc
    except Exception as exc:
        if is_aws_failure(exc):
            raise describe_error(exc, doing) from exc
        raise


def until_applied(call, *, pending, what: str, budget: float, say=None):
    """``call()`` again while ``pending(result_or_error)`` says AWS has not applied a change yet.

    AWS applies trusted access, centralized root access and credential deletions within seconds to
    a few minutes (eventual consistency). Waits 1, 2, 4, 8, then 15 s between tries, for at most
    ``budget`` seconds (``Aws.propagation_wait``: ROOTKEEPER_AWS_PROPAGATION_WAIT, 180); ``say`` is told
    each wait. A stale answer is
    never taken as done: when time runs out, the last error is raised or the last result returned
    for the caller to judge.
    """
    start, pause = time.monotonic(), 1.0
    while True:
        try:
            result, error = call(), None
        except AwsError as exc:
            result, error = None, exc
        if not pending(error if error is not None else result):
            if error is not None:
                raise error
            return result
        elapsed = time.monotonic() - start
        if elapsed + pause > budget:
            if error is not None:
                raise AwsError(f"{error.message} (AWS had not applied {what} after {elapsed:.0f} s; re-run later, or "
                               "raise ROOTKEEPER_AWS_PROPAGATION_WAIT)", error.code, error.detail, error.doing) from error
            return result
        if say is not None:
            say(f"waiting {pause:.0f} s for AWS to apply {what} (changes take up to a few minutes to propagate)")
        time.sleep(pause)
        pause = min(pause * 2, 15.0)


def _check_environment() -> None:
    """What botocore would crash on later, refused now with the variable's name."""
    from urllib.parse import urlparse

    attempts = os.environ.get("AWS_MAX_ATTEMPTS")
    if attempts is not None and not (attempts.strip().isascii() and attempts.strip().isdigit()
                                     and 1 <= int(attempts) <= 20):
        raise ConfigError(f"AWS_MAX_ATTEMPTS={attempts!r} is not a number of attempts: give 1-20, or unset it")
    for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL_IAM", "AWS_ENDPOINT_URL_ORGANIZATIONS"):
        url = os.environ.get(name)
        if url is None:
            continue
        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise ConfigError(f"{name}={url!r} is not a URL: give https://host[:port], or unset it")


class _Budget:
    """No new attempt of a call once it could not end within the budget (botocore events)."""

    def __init__(self, budget: float, read_timeout: float) -> None:
        self.budget, self.read_timeout = budget, read_timeout
        self._local = threading.local()

    def attach(self, core) -> None:
        core.register("before-call", self.started)
        core.register("before-send", self.attempt)

    def started(self, **_kwargs) -> None:
        self._local.start = time.monotonic()

    def attempt(self, **_kwargs) -> None:
        start = getattr(self._local, "start", None)
        if start is None:
            return
        elapsed = time.monotonic() - start
        if elapsed > 0.5 and elapsed + self.read_timeout > self.budget:
            raise CallBudgetExceeded(f"no answer within {self.budget:.0f} s (tried for {elapsed:.0f} s): "
                                     "check the network and the endpoint, or raise ROOTKEEPER_AWS_CALL_BUDGET")


# ------------------------------------------------------------------ the session
def partition_of(core, region: str) -> str:
    """The partition (aws, aws-cn, aws-us-gov, ...) of ``region``, from botocore's endpoint data.

    Refuses what AssumeRoot cannot use: the global STS endpoint (AssumeRoot is regional only),
    a region botocore does not know, and partitions where AWS documents no root tasks.
    """
    from botocore.exceptions import UnknownRegionError

    if region == "aws-global" or region.endswith("-global"):
        raise ConfigError(f"--region {region} is a global endpoint, and AssumeRoot is served by regional STS endpoints "
                          "only (AWS answers 'Unknown Operation'): give a region, such as us-east-1")
    try:
        partition = core.get_partition_for_region(region)
    except UnknownRegionError:
        raise ConfigError(f"--region {region!r} is not a region this botocore knows: give one such as us-east-1 "
                          "(or upgrade boto3 for a new region)") from None
    if partition not in ROOT_TASK_PARTITIONS:
        raise ConfigError(f"{region} is in the {partition} partition, where AWS documents no centralized root access "
                          "(sts:AssumeRoot): rootkeeper's organization commands cannot work there")
    return partition


def require_account_state(client) -> None:
    """This botocore's Organizations model must have ``Account.State`` (botocore 1.40.27 and later):
    older models drop it from every answer, and ``Status`` is retired."""
    if "State" not in client.meta.service_model.shape_for("Account").members:
        import botocore

        raise ConfigError(f"botocore {botocore.__version__} is too old: its Organizations model has no account State "
                          "(AWS retired Status on 9 September 2026): pip install 'boto3>=1.40.27'")


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

    def __init__(self, profile: str | None = None, region: str | None = None, concurrency: int = 16, *,
                 settings: Settings | None = None) -> None:
        """``settings``: the command's (its timeouts); without them, the environment's and the defaults."""
        from ..storage.settings import resolve

        settings = settings or resolve(lambda _name: None, read_config=False)
        try:
            import boto3
            import botocore.session
            from botocore.config import Config
            from botocore.exceptions import BotoCoreError
        except ImportError as exc:  # pragma: no cover - boto3 is a dependency
            raise ConfigError("boto3 is not installed: pip install rootkeeper (it depends on boto3)") from exc
        self.profile = profile
        _check_environment()
        connect, read = settings.aws_connect_timeout, settings.aws_read_timeout
        self._budget = _Budget(settings.aws_call_budget, read)
        self.propagation_wait = settings.aws_propagation_wait
        try:
            core = botocore.session.Session(profile=profile)
            core.set_config_variable("sts_regional_endpoints", "regional")  # AssumeRoot: regional STS only
            self._budget.attach(core)
            self.session = boto3.session.Session(botocore_session=core)
            # --region, then AWS_REGION (the SDKs' name; this botocore reads only AWS_DEFAULT_REGION),
            # then AWS_DEFAULT_REGION and the profile (botocore), then us-east-1.
            self.region = (region or os.environ.get("AWS_REGION") or self.session.region_name or "us-east-1").strip()
        except (BotoCoreError, ValueError) as exc:
            raise describe_error(exc, "reading the AWS configuration") from exc
        self.partition = partition_of(core, self.region)
        retries: dict = {"mode": "adaptive"}
        if not os.environ.get("AWS_MAX_ATTEMPTS"):
            retries["total_max_attempts"] = 8  # AWS_MAX_ATTEMPTS counts the same way
        self.config = Config(retries=retries, max_pool_connections=max(10, concurrency + 2), connect_timeout=connect,
                             read_timeout=read, user_agent_extra="rootkeeper")
        self._clients: dict[str, object] = {}
        self._lock = threading.Lock()
        self._switch = _switchable()
        self._switch_core = None
        self._local = threading.local()

    def client(self, name: str):
        with self._lock:
            if name not in self._clients:
                with aws_errors(f"setting up the {name} client"):
                    client = self.session.client(name, region_name=self.region, config=self.config)
                if name == "organizations":
                    require_account_state(client)
                self._clients[name] = client
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
                    self._budget.attach(core)
                    self._switch_core = core
                # One session (one copy of the IAM model), one client per worker thread.
                client = self._switch_core.create_client("iam", region_name=self.region, config=self.config)
            self._local.iam = client
        self._switch.use(creds)
        return client

    def session_client(self, service: str, creds: dict, region: str | None = None):
        """A client of ``service`` signing with ``creds`` (a root session's), for one workflow's few calls."""
        with aws_errors(f"setting up the {service} client"):
            return self.session.client(service, region_name=region or self.region, config=self.config,
                                       aws_access_key_id=creds["AccessKeyId"],
                                       aws_secret_access_key=creds["SecretAccessKey"],
                                       aws_session_token=creds["SessionToken"])

    def organization(self) -> tuple[str, str]:
        """(organization id, management account id)."""
        with aws_errors("organizations:DescribeOrganization"):
            org = self.client("organizations").describe_organization()["Organization"]
        return org["Id"], org["MasterAccountId"]

    def caller_account(self) -> str:
        with aws_errors("sts:GetCallerIdentity"):
            return self.client("sts").get_caller_identity()["Account"]

    def task_arn(self, task: str) -> str:
        """A root-task policy's ARN in this session's partition."""
        return f"arn:{self.partition}:iam::aws:policy/root-task/{task}"

    def account_arn(self, account_id: str, resource: str) -> str:
        return f"arn:{self.partition}:iam::{account_id}:{resource}"

    def assume_root(self, account_id: str, task: str) -> dict:
        """Temporary root credentials for one member account, limited to one task policy."""
        with aws_errors("sts:AssumeRoot"):
            return self.client("sts").assume_root(TargetPrincipal=account_id, TaskPolicyArn={"arn": self.task_arn(task)},
                                                  DurationSeconds=900)["Credentials"]

    def root_iam(self, account_id: str, task: str):
        """This thread's IAM client inside ``account_id``'s root session (AssumeRoot with ``task``)."""
        return self.session_iam(self.assume_root(account_id, task))


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
