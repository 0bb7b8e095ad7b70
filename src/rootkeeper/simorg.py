"""A simulated AWS Organization for the tests and the demo: moto's server, extended.

moto 5 serves Organizations, STS AssumeRole and per-account IAM over HTTP, but has
no ``sts:AssumeRoot``, no ``iam:ListOrganizationsFeatures`` or
``iam:EnableOrganizationsRoot*``, and no root-user state at all. ``SimOrg`` is a
WSGI layer in front of moto's own application that answers those operations in
AWS's wire format (query-protocol XML for STS and IAM, JSON for Organizations),
keeps each account's root user (password, MFA devices with their seeds, access
keys, signing certificates), enforces the root-task policies, checks the two
consecutive codes when a console enables a virtual MFA device, and can inject
latency, throttling and AccessDenied per account. Everything else goes to moto
untouched. Clients are unmodified boto3 pointed at ``http://127.0.0.1:PORT``.

This module is for tests and the demo only; it needs ``moto[server]``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import secrets
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from . import totp

IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
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
_SCOPE = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/([^/]+)/aws4_request")
_STATUS = {"AccessDenied": 403, "NoSuchEntity": 404, "EntityAlreadyExists": 409, "Throttling": 400,
           "LimitExceeded": 409, "InvalidAuthenticationCode": 403, "ValidationError": 400, "RegionDisabledException": 403}


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _iso(moment: datetime) -> str:
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


@dataclass
class _Session:
    account_id: str
    task: str | None  # a root-task policy name for AssumeRoot sessions, None for role sessions


class SimOrg:
    """The WSGI application: call ``serve()`` for a threaded server on 127.0.0.1."""

    def __init__(self, latency: float = 0.0) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.moto = DomainDispatcherApplication(create_backend_app)
        self.latency = latency
        self.lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        with self.lock:
            self.roots: dict[str, RootUser] = {}
            self.faults: dict[str, Faults] = {}
            self.sessions: dict[str, _Session] = {}
            self.features: set[str] = set()
            self.calls: Counter[str] = Counter()
            self._order: list | None = None
            self.actions: Counter[str] = Counter()
            self._clock = _now().replace(tzinfo=None) - timedelta(days=400)  # moto keeps naive UTC

    def root(self, account_id: str) -> RootUser:
        with self.lock:
            return self.roots.setdefault(account_id, RootUser(account_id))

    def fault(self, account_id: str) -> Faults:
        with self.lock:
            return self.faults.setdefault(account_id, Faults())

    @property
    def _org(self):
        from moto.organizations.models import organizations_backends

        return organizations_backends[MANAGEMENT_ACCOUNT]["aws"]

    def create_organization(self) -> str:
        backend = self._org
        backend.create_organization(region="us-east-1", FeatureSet="ALL")
        return backend.org.root_id

    def add_ou(self, name: str, parent_id: str | None = None) -> str:
        backend = self._org
        return backend.create_organizational_unit(Name=name, ParentId=parent_id or backend.org.root_id)[
            "OrganizationalUnit"]["Id"]

    def add_account(self, name: str, email: str, ou_id: str | None = None, *, closed: bool = False) -> str:
        backend = self._org
        account_id = backend.create_account(AccountName=name, Email=email)["CreateAccountStatus"]["AccountId"]
        account = backend.get_account_by_id(account_id)
        # Distinct, increasing join times: moto pages ListAccounts by this value.
        with self.lock:
            self._clock += timedelta(seconds=1)
            account.create_time = self._clock
        if ou_id:
            backend.move_account(AccountId=account_id, SourceParentId=backend.org.root_id, DestinationParentId=ou_id)
        if closed:
            backend.close_account(AccountId=account_id)
        self.root(account_id)
        return account_id

    def close(self, account_id: str) -> None:
        self._org.close_account(AccountId=account_id)

    def rename(self, account_id: str, name: str, email: str) -> None:
        """What changing the account name and root e-mail in the console does."""
        account = self._org.get_account_by_id(account_id)
        account.name, account.email = name, email

    def accounts(self) -> dict[str, object]:
        return {a.id: a for a in self._org.accounts}

    def trusted_access(self) -> bool:
        return any(s["ServicePrincipal"] == "iam.amazonaws.com" for s in self._org.services)

    def snapshot(self) -> dict:
        with self.lock:
            return {"roots": {a: r.snapshot() for a, r in sorted(self.roots.items())},
                    "features": sorted(self.features), "trusted_access": self.trusted_access(),
                    "accounts": {a.id: [a.name, a.email, a.status, a.parent_id] for a in self._org.accounts}}

    # ------------------------------------------------------------- the console
    def console_set_password(self, account_id: str, password: str) -> None:
        root = self.root(account_id)
        with self.lock:
            root.password_sha256 = hashlib.sha256(password.encode()).hexdigest()
            root.password_created = _iso(_now())
            root.password_reset_required = False

    def console_create_virtual_mfa(self, account_id: str, name: str = "root-mfa") -> tuple[str, str]:
        """What the console shows after 'Assign MFA device': the serial and the secret key."""
        root = self.root(account_id)
        serial = f"arn:aws:iam::{account_id}:mfa/{name}"
        with self.lock:
            if serial in root.devices and root.devices[serial].enabled_at:
                raise SimError(f"an MFA device named {name} is already assigned")
            if len(root.mfa) >= 8:
                raise SimError("a root user can have at most 8 MFA devices")
            seed = base64.b32encode(secrets.token_bytes(40)).decode()
            root.devices[serial] = MfaDevice(serial, seed)
        return serial, seed

    def console_enable_mfa(self, account_id: str, serial: str, code1: str, code2: str, at: float | None = None) -> None:
        """Enable a virtual device as the console does: two consecutive codes, checked against the seed."""
        root = self.root(account_id)
        device = root.devices.get(serial)
        if device is None:
            raise SimError(f"no virtual MFA device {serial}")
        now = time.time() if at is None else at
        for step in (-2, -1, 0, 1):
            first = now + step * 30
            if (totp.code(device.seed, first) == code1.strip() and totp.code(device.seed, first + 30) == code2.strip()):
                with self.lock:
                    device.enabled_at = _iso(_now())
                return
        raise SimError("InvalidAuthenticationCode: the two codes are not consecutive codes of this device")

    def console_sign_in(self, account_id: str, password: str, code: str | None) -> bool:
        root = self.root(account_id)
        if root.password_sha256 != hashlib.sha256(password.encode()).hexdigest():
            return False
        if not root.mfa:
            return True
        now = time.time()
        return any(totp.code(d.seed, now + s * 30) == (code or "").strip() for d in root.mfa for s in (-1, 0, 1))

    def plant_access_key(self, account_id: str) -> str:
        key_id = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        with self.lock:
            self.root(account_id).access_keys[key_id] = {"Status": "Active", "CreateDate": _iso(_now())}
        return key_id

    def plant_certificate(self, account_id: str) -> str:
        cert_id = secrets.token_hex(16).upper()
        with self.lock:
            self.root(account_id).certificates[cert_id] = {"Status": "Active", "UploadDate": _iso(_now())}
        return cert_id

    def plant_mfa(self, account_id: str, name: str = "root-mfa") -> tuple[str, str]:
        """A virtual device enabled out of band (someone else enrolled it): the seed is not ours."""
        serial, seed = self.console_create_virtual_mfa(account_id, name)
        now = time.time()
        self.console_enable_mfa(account_id, serial, totp.code(seed, now), totp.code(seed, now + 30), at=now)
        return serial, seed

    # ------------------------------------------------------------------- serve
    def serve(self, port: int = 0) -> tuple[str, object]:
        """Start a threaded HTTP server on 127.0.0.1; returns (endpoint URL, server)."""
        from werkzeug.serving import WSGIRequestHandler, make_server

        class Quiet(WSGIRequestHandler):
            def log_request(self, *args, **kwargs) -> None:
                pass

        server = make_server("127.0.0.1", port, self, threaded=True, request_handler=Quiet)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return f"http://127.0.0.1:{server.server_port}", server

    def __call__(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        scope = _SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if not scope:
            return self.moto(environ, start_response)
        key_id, region, service = scope.groups()
        if service in ("iam", "sts"):
            params = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
            action = params.get("Action", "")
        elif service == "organizations":
            params = json.loads(body or b"{}")
            action = environ.get("HTTP_X_AMZ_TARGET", "").rpartition(".")[2]
        else:
            return self.moto(environ, start_response)
        session = self.sessions.get(key_id)
        account = session.account_id if session else MANAGEMENT_ACCOUNT
        if action == "AssumeRoot":
            account = params.get("TargetPrincipal", "")
        elif action == "AssumeRole":
            account = params.get("RoleArn", "::::").split(":")[4]
        with self.lock:
            self.calls[account] += 1
            self.actions[f"{service}:{action}"] += 1
            faults = self.faults.get(account)
            throttled = bool(faults and faults.throttle)
            if throttled and faults.throttle > 0:
                faults.throttle -= 1
        delay = faults.latency if faults and faults.latency is not None else self.latency
        if delay:
            time.sleep(delay)
        reply = _Reply(service, action, start_response)
        if throttled:
            return reply.error("Throttling", "Rate exceeded")
        if faults and action in faults.errors:
            return reply.error(faults.errors[action], f"{action} refused for account {account} (injected)")
        if faults and faults.deny and action in ("AssumeRoot", "AssumeRole"):
            return reply.error("AccessDenied", f"User is not authorized to perform: sts:{action} on resource: {account}")
        handler = getattr(self, f"_{service}_{action}", None)
        if session and session.task and service == "iam":
            return self._root_session_call(session, action, params, reply)
        if session and session.task and service == "sts" and action == "GetCallerIdentity":
            return reply.ok(f"<Arn>arn:aws:iam::{account}:root</Arn><UserId>{account}</UserId><Account>{account}</Account>")
        if handler is None:
            return self.moto(environ, start_response)
        return handler(account, session, params, reply, environ)

    # ------------------------------------------------------------- STS
    def _sts_AssumeRoot(self, target, session, params, reply, environ):
        if session and session.task:
            return reply.error("AccessDenied", "AssumeRoot cannot be called with root credentials")
        accounts = self.accounts()
        account = accounts.get(target)
        if account is None or target == MANAGEMENT_ACCOUNT or account.status != "ACTIVE":
            return reply.error("AccessDenied", f"{target} is not an active member account of the organization")
        if "RootSessions" not in self.features:
            return reply.error("AccessDenied", "Centralized root access (RootSessions) is not enabled for this organization")
        arn = params.get("TaskPolicyArn.arn", "")
        task = arn.removeprefix(TASK_POLICY_PREFIX)
        if not arn.startswith(TASK_POLICY_PREFIX) or task not in TASK_POLICIES:
            return reply.error("ValidationError", f"unknown task policy {arn}")
        if task in CREDENTIAL_TASKS and "RootCredentialsManagement" not in self.features:
            return reply.error("AccessDenied", "Root credentials management is not enabled for this organization")
        duration = int(params.get("DurationSeconds") or 900)
        if not 0 < duration <= 900:
            return reply.error("ValidationError", "DurationSeconds must be at most 900")
        key_id = "ASIA" + secrets.token_hex(8).upper()
        with self.lock:
            self.sessions[key_id] = _Session(target, task)
        expires = _iso(_now() + timedelta(seconds=duration))
        return reply.ok(f"<Credentials><AccessKeyId>{key_id}</AccessKeyId><SecretAccessKey>{secrets.token_hex(20)}"
                        f"</SecretAccessKey><SessionToken>{secrets.token_hex(32)}</SessionToken>"
                        f"<Expiration>{expires}</Expiration></Credentials><SourceIdentity></SourceIdentity>")

    def _sts_AssumeRole(self, account_id, session, params, reply, environ):
        from moto.iam.models import iam_backends

        name = params.get("RoleArn", "").rpartition("/")[2]
        if account_id not in self.accounts() or not any(
                r.name == name for r in iam_backends[account_id]["global"].roles.values()):
            return reply.error("AccessDenied", f"User is not authorized to perform: sts:AssumeRole on resource: "
                                               f"{params.get('RoleArn', '')}")
        status, headers, body = _call(self.moto, environ)
        found = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", body)
        if found:
            with self.lock:
                self.sessions[found.group(1).decode()] = _Session(account_id, None)
        reply.start(status, headers)
        return [body]

    # ------------------------------------------------------------- IAM, any session
    def _summary(self, account_id: str) -> str:
        root = self.root(account_id)
        values = {"AccountMFAEnabled": int(bool(root.mfa)), "AccountPasswordPresent": int(root.password_created is not None),
                  "AccountAccessKeysPresent": int(bool(root.access_keys)),
                  "AccountSigningCertificatesPresent": int(bool(root.certificates)),
                  "MFADevices": len(root.devices), "MFADevicesInUse": len(root.mfa),
                  "Users": 0, "UsersQuota": 5000, "Groups": 0, "GroupsQuota": 300, "Roles": 1, "RolesQuota": 1000,
                  "Policies": 0, "PoliciesQuota": 1500, "AccessKeysPerUserQuota": 2, "SigningCertificatesPerUserQuota": 2}
        entries = "".join(f"<entry><key>{k}</key><value>{v}</value></entry>" for k, v in values.items())
        return f"<SummaryMap>{entries}</SummaryMap>"

    def _iam_GetAccountSummary(self, account_id, session, params, reply, environ):
        return reply.ok(self._summary(account_id))

    def _iam_ListVirtualMFADevices(self, account_id, session, params, reply, environ):
        wanted = params.get("AssignmentStatus", "Any")
        members = []
        for device in self.root(account_id).devices.values():
            assigned = device.enabled_at is not None
            if wanted == "Any" or (wanted == "Assigned") == assigned:
                user = (f"<User><Path>/</Path><UserName>{account_id}</UserName><UserId>{account_id}</UserId>"
                        f"<Arn>arn:aws:iam::{account_id}:root</Arn><CreateDate>{_iso(_now())}</CreateDate></User>"
                        f"<EnableDate>{device.enabled_at}</EnableDate>") if assigned else ""
                members.append(f"<member><SerialNumber>{escape(device.serial)}</SerialNumber>{user}</member>")
        return reply.ok(f"<VirtualMFADevices>{''.join(members)}</VirtualMFADevices><IsTruncated>false</IsTruncated>")

    def _org_features_check(self, account_id, reply):
        if account_id != MANAGEMENT_ACCOUNT:
            return reply.error("AccountNotManagementOrDelegatedAdministratorException",
                               "The caller is not the management account or a delegated administrator", 400)
        if self._org.org is None:
            return reply.error("OrganizationNotFoundException", "The account is not in an organization", 400)
        if not self.trusted_access():
            return reply.error("ServiceAccessNotEnabledException",
                               "Trusted access for iam.amazonaws.com is not enabled in AWS Organizations", 400)
        return None

    def _features_reply(self, reply):
        members = "".join(f"<member>{f}</member>" for f in sorted(self.features))
        return reply.ok(f"<OrganizationId>{self._org.org.id}</OrganizationId><EnabledFeatures>{members}</EnabledFeatures>")

    def _iam_ListOrganizationsFeatures(self, account_id, session, params, reply, environ):
        return self._org_features_check(account_id, reply) or self._features_reply(reply)

    def _toggle(self, feature: str, on: bool, account_id, reply):
        refused = self._org_features_check(account_id, reply)
        if refused:
            return refused
        with self.lock:
            (self.features.add if on else self.features.discard)(feature)
        return self._features_reply(reply)

    def _iam_EnableOrganizationsRootCredentialsManagement(self, account_id, session, params, reply, environ):
        return self._toggle("RootCredentialsManagement", True, account_id, reply)

    def _iam_EnableOrganizationsRootSessions(self, account_id, session, params, reply, environ):
        return self._toggle("RootSessions", True, account_id, reply)

    def _iam_DisableOrganizationsRootCredentialsManagement(self, account_id, session, params, reply, environ):
        return self._toggle("RootCredentialsManagement", False, account_id, reply)

    def _iam_DisableOrganizationsRootSessions(self, account_id, session, params, reply, environ):
        return self._toggle("RootSessions", False, account_id, reply)

    # ------------------------------------------------------------- Organizations
    def _organizations_EnableAWSServiceAccess(self, account_id, session, params, reply, environ):
        if params.get("ServicePrincipal") != "iam.amazonaws.com":
            return self.moto(environ, reply.start_response)
        if not self.trusted_access():
            self._org.services.append({"ServicePrincipal": "iam.amazonaws.com", "DateEnabled": time.time()})
        return reply.json({})

    def _organizations_ListAccounts(self, account_id, session, params, reply, environ):
        """moto re-describes and re-sorts every account for every page (quadratic at 10,000 accounts);
        the same answer, paged from a cached order."""
        if self._org.org is None:
            return self.moto(environ, reply.start_response)
        accounts = self._org.accounts
        with self.lock:
            if self._order is None or len(self._order) != len(accounts):
                self._order = sorted(accounts, key=lambda a: a.create_time)
            order = self._order
        try:
            start = int(base64.b64decode(params.get("NextToken") or "MA==").decode())
        except ValueError:
            return reply.error("InvalidInputException", "invalid NextToken", 400)
        size = max(1, min(int(params.get("MaxResults") or 20), 20))
        page = {"Accounts": [a.describe() for a in order[start:start + size]]}
        if start + size < len(order):
            page["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
        return reply.json(page)

    # ------------------------------------------------------------- a root session
    def _root_session_call(self, session: _Session, action: str, params: dict, reply: _Reply):
        account_id, root = session.account_id, self.root(session.account_id)
        if action not in TASK_POLICIES[session.task]:
            return reply.error("AccessDenied", f"User: arn:aws:sts::{account_id}:root is not authorized to perform: "
                                               f"iam:{action} (not allowed by the task policy {session.task})")
        if params.get("UserName"):
            return reply.error("AccessDenied", f"iam:{action} on an IAM user is not allowed by the task policy {session.task}")
        with self.lock:
            if action == "GetAccountSummary":
                return reply.ok(self._summary(account_id))
            if action == "GetUser":
                return reply.ok(f"<User><Path>/</Path><UserName>{account_id}</UserName><UserId>{account_id}</UserId>"
                                f"<Arn>arn:aws:iam::{account_id}:root</Arn><CreateDate>{_iso(_now())}</CreateDate></User>")
            if action == "GetLoginProfile":
                if root.password_created is None:
                    return reply.error("NoSuchEntity", "Login Profile for User root cannot be found.")
                return reply.ok(self._login_profile(root))
            if action == "CreateLoginProfile":
                if root.password_created is not None:
                    return reply.error("EntityAlreadyExists", "Login Profile for User root already exists.")
                root.password_created, root.password_reset_required = _iso(_now()), True
                root.password_sha256 = None  # unknown to anyone: it must be reset through e-mail
                return reply.ok(self._login_profile(root))
            if action == "DeleteLoginProfile":
                if root.password_created is None:
                    return reply.error("NoSuchEntity", "Login Profile for User root cannot be found.")
                root.password_created = root.password_sha256 = None
                return reply.ok("")
            if action == "ListMFADevices":
                members = "".join(f"<member><SerialNumber>{escape(d.serial)}</SerialNumber>"
                                  f"<EnableDate>{d.enabled_at}</EnableDate></member>" for d in root.mfa)
                return reply.ok(f"<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated>")
            if action == "DeactivateMFADevice":
                device = root.devices.get(params.get("SerialNumber", ""))
                if device is None or not device.enabled_at:
                    return reply.error("NoSuchEntity", f"MFA device {params.get('SerialNumber', '')} is not assigned to root")
                device.enabled_at = None
                return reply.ok("")
            if action == "ListAccessKeys":
                members = "".join(f"<member><AccessKeyId>{k}</AccessKeyId><Status>{v['Status']}</Status>"
                                  f"<CreateDate>{v['CreateDate']}</CreateDate></member>" for k, v in root.access_keys.items())
                return reply.ok(f"<AccessKeyMetadata>{members}</AccessKeyMetadata><IsTruncated>false</IsTruncated>")
            if action == "DeleteAccessKey":
                if root.access_keys.pop(params.get("AccessKeyId", ""), None) is None:
                    return reply.error("NoSuchEntity", "The Access Key with id given cannot be found.")
                return reply.ok("")
            if action == "ListSigningCertificates":
                members = "".join(f"<member><CertificateId>{k}</CertificateId><CertificateBody>-----BEGIN CERTIFICATE-----"
                                  f"</CertificateBody><Status>{v['Status']}</Status><UploadDate>{v['UploadDate']}</UploadDate>"
                                  f"</member>" for k, v in root.certificates.items())
                return reply.ok(f"<Certificates>{members}</Certificates><IsTruncated>false</IsTruncated>")
            if action == "DeleteSigningCertificate":
                if root.certificates.pop(params.get("CertificateId", ""), None) is None:
                    return reply.error("NoSuchEntity", "The Certificate with id given cannot be found.")
                return reply.ok("")
        return reply.error("AccessDenied", f"iam:{action} is not simulated for root sessions")

    @staticmethod
    def _login_profile(root: RootUser) -> str:
        reset = "true" if root.password_reset_required else "false"
        return (f"<LoginProfile><CreateDate>{root.password_created}</CreateDate>"
                f"<PasswordResetRequired>{reset}</PasswordResetRequired></LoginProfile>")


class _Reply:
    def __init__(self, service: str, action: str, start_response) -> None:
        self.service, self.action, self.start_response = service, action, start_response

    def start(self, status: str, headers: list) -> None:
        self.start_response(status, headers)

    def _send(self, status: int, body: str, content_type: str) -> list[bytes]:
        data = body.encode()
        reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict"}.get(status, "Error")
        self.start_response(f"{status} {reason}", [("Content-Type", content_type), ("Content-Length", str(len(data))),
                                                   ("x-amzn-RequestId", str(uuid.uuid4()))])
        return [data]

    def ok(self, result: str) -> list[bytes]:
        ns = STS_NS if self.service == "sts" else IAM_NS
        inner = f"<{self.action}Result>{result}</{self.action}Result>" if result else ""
        return self._send(200, f'<{self.action}Response xmlns="{ns}">{inner}<ResponseMetadata><RequestId>'
                               f"{uuid.uuid4()}</RequestId></ResponseMetadata></{self.action}Response>", "text/xml")

    def json(self, payload: dict) -> list[bytes]:
        return self._send(200, json.dumps(payload), "application/x-amz-json-1.1")

    def error(self, code: str, message: str, status: int | None = None) -> list[bytes]:
        status = status or _STATUS.get(code, 400)
        if self.service == "organizations":
            name = code if code.endswith("Exception") else f"{code}Exception"
            return self._send(status, json.dumps({"__type": name, "Message": message}), "application/x-amz-json-1.1")
        ns = STS_NS if self.service == "sts" else IAM_NS
        return self._send(status, f'<ErrorResponse xmlns="{ns}"><Error><Type>Sender</Type><Code>{code}</Code>'
                                  f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId>"
                                  f"</ErrorResponse>", "text/xml")


def _call(app, environ) -> tuple[str, list, bytes]:
    captured: list = []

    def start_response(status, headers, exc_info=None):
        captured[:] = [status, headers]

    chunks = app(environ, start_response)
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return captured[0], [(k, v) for k, v in captured[1] if k.lower() != "content-length"] + [
        ("Content-Length", str(len(body)))], body
