"""A simulated AWS Organization for the tests, the demo and the benchmarks: moto's server, extended.

moto 5 serves Organizations, STS AssumeRole and per-account IAM over HTTP, but has
no ``sts:AssumeRoot``, no ``iam:ListOrganizationsFeatures`` or
``iam:EnableOrganizationsRoot*``, and no root-user state at all. ``SimOrg`` keeps
each account's root user (password, MFA devices with their seeds, access keys,
signing certificates), builds the organization (OUs, accounts, closed accounts),
plays the console (set a password, show a secret key, check the two consecutive
codes, sign in as root), and serves the AWS API (``server.AwsApi``) on 127.0.0.1.
Clients are unmodified boto3 pointed at ``http://127.0.0.1:PORT``.

Needs ``moto[server]`` (the ``sim`` extra).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import threading
import time
from collections import Counter
from datetime import timedelta

from ..rules import totp
from .server import AwsApi
from .state import MANAGEMENT_ACCOUNT, STATES, Faults, MfaDevice, RootUser, Session, SimError, iso, utc_now


class SimOrg(AwsApi):
    """The WSGI application: call ``serve()`` for a threaded server on 127.0.0.1."""

    def __init__(self, latency: float = 0.0, validate: bool = True) -> None:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

        self.moto = DomainDispatcherApplication(create_backend_app)
        self.latency = latency
        self.validate = validate  # every answer checked against botocore's model (sim/contract.py)
        self.lock = threading.RLock()
        self.reset()

    # ------------------------------------------------------------------ state
    def reset(self) -> None:
        from moto.moto_api._internal.models import moto_api_backend

        moto_api_backend.reset()
        with self.lock:
            self.roots: dict[str, RootUser] = {}
            self.faults: dict[str, Faults] = {}
            self.sessions: dict[str, Session] = {}
            self.features: set[str] = set()
            # When each change of trusted access or a feature reaches every endpoint (time.monotonic()):
            # AWS applies them within seconds to minutes; until then AssumeRoot answers as before.
            self.effective: dict[str, float] = {}
            self.before: dict[str, bool] = {}
            self.propagation = 0.0  # seconds a change takes to reach AssumeRoot and IAM's Enable* calls
            self.list_lag = 0.0  # seconds a deleted root credential is still listed in a root session
            self.states: dict[str, str] = {}  # account id -> AccountState, when not ACTIVE
            self.delegates: set[str] = set()  # delegated administrators for iam.amazonaws.com
            self.disabled_regions: set[str] = set()  # opt-in regions not enabled (STS: RegionDisabledException)
            self.calls: Counter[str] = Counter()
            self.violations: list[str] = []  # answers that broke botocore's model (validate=True)
            self._order: list | None = None
            self.actions: Counter[str] = Counter()  # every API operation called ("service:Operation")
            self.principal_actions: dict[str, Counter[str]] = {}  # the same, by whom (AwsApi._count)
            self.regions: Counter[str] = Counter()
            self._clock = utc_now().replace(tzinfo=None) - timedelta(days=400)  # moto keeps naive UTC
            self.trail = None  # the organization trail (sim/trail.py), once enable_trail()

    def enable_trail(self, *, validation: bool = True):
        """An organization trail (CloudTrail, into this simulator's S3) recording root's sign-ins, AssumeRoot and
        the calls of root sessions from now on; returns it (``write_history`` writes past days)."""
        from .trail import SimTrail

        with self.lock:
            if self.trail is None:
                self.trail = SimTrail(self._org.org.id, validation=validation)
            return self.trail

    def record(self, *records: dict) -> None:
        """Records for the trail, when there is one."""
        if self.trail is not None:
            self.trail.add(*records)

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
        if closed:  # closed long ago: past PENDING_CLOSURE
            self.set_state(account_id, "CLOSED")
        self.root(account_id)
        return account_id

    def close(self, account_id: str) -> None:
        """CloseAccount as AWS does it: PENDING_CLOSURE first, CLOSED once ``settle()`` (moto closes at once)."""
        self.set_state(account_id, "PENDING_CLOSURE")

    def settle(self) -> None:
        with self.lock:
            for account_id, state in list(self.states.items()):
                if state == "PENDING_CLOSURE":
                    self.states[account_id] = "CLOSED"

    def set_state(self, account_id: str, state: str) -> None:
        if state not in STATES:
            raise SimError(f"{state} is not an AccountState")
        with self.lock:
            self.states[account_id] = state

    def state(self, account_id: str) -> str:
        return self.states.get(account_id, "ACTIVE")

    def delegate(self, account_id: str) -> str:
        """Register ``account_id`` as delegated administrator for IAM; returns an access key id of a
        principal in it (its secret is anything: the simulator does not check signatures)."""
        key_id = self.caller_key(account_id)
        with self.lock:
            self.delegates.add(account_id)
        return key_id

    def caller_key(self, account_id: str) -> str:
        """Long-term keys of a principal in ``account_id`` (the calls it signs are that account's)."""
        key_id = "AKIA" + secrets.token_hex(8).upper()
        with self.lock:
            self.sessions[key_id] = Session(account_id, None, caller=True)
        return key_id

    def change(self, name: str, on: bool) -> None:
        """Turn trusted access (name "TrustedAccess") or a feature on or off; AssumeRoot and IAM see it
        ``propagation`` seconds later."""
        with self.lock:
            self.before[name] = self._now_on(name)
            self.effective[name] = time.monotonic() + self.propagation
            if name != "TrustedAccess":
                (self.features.add if on else self.features.discard)(name)
            elif on and not self.trusted_access():
                self._org.services.append({"ServicePrincipal": "iam.amazonaws.com", "DateEnabled": time.time()})

    def _now_on(self, name: str) -> bool:
        return self.trusted_access() if name == "TrustedAccess" else name in self.features

    def effective_on(self, name: str) -> bool:
        """What AssumeRoot and IAM's Enable* calls see: the state before the last change until it has
        propagated."""
        with self.lock:
            if time.monotonic() >= self.effective.get(name, 0.0):
                return self._now_on(name)
            return self.before.get(name, self._now_on(name))

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
                    "accounts": {a.id: [a.name, a.email, self.state(a.id), a.parent_id] for a in self._org.accounts}}

    # ------------------------------------------------------------- the console
    def console_set_password(self, account_id: str, password: str) -> None:
        root = self.root(account_id)
        with self.lock:
            root.password_sha256 = hashlib.sha256(password.encode()).hexdigest()
            root.password_created = iso(utc_now())
            root.password_reset_required = False

    def console_create_virtual_mfa(self, account_id: str, name: str) -> tuple[str, str]:
        """What the console shows after 'Assign MFA device' (the 'Device name' is required, as AWS
        requires it: 1-64 letters, digits and + = , . @ - _): the serial and the secret key."""
        if not re.fullmatch(r"[A-Za-z0-9+=,.@_-]{1,64}", name or ""):
            raise SimError("ValidationError: the device name must be 1-64 letters, digits and + = , . @ - _")
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
                    device.enabled_at = iso(utc_now())
                return
        raise SimError("InvalidAuthenticationCode: the two codes are not consecutive codes of this device")

    def console_register_security_key(self, account_id: str, name: str) -> str:
        """What the console records after 'Assign MFA device' > 'Passkey or security key' and a touch of the key
        (IAM User Guide, "Enable a passkey or security key for the root user"): the device's serial,
        ``arn:aws:iam::ID:u2f/root/NAME-SUFFIX``, which only the root session's ListMFADevices lists."""
        if not re.fullmatch(r"[A-Za-z0-9+=,.@_-]{1,64}", name or ""):
            raise SimError("ValidationError: the device name must be 1-64 letters, digits and + = , . @ - _")
        root = self.root(account_id)
        suffix = "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(26))
        serial = f"arn:aws:iam::{account_id}:u2f/root/{name}-{suffix}"
        with self.lock:
            if len(root.mfa) >= 8:
                raise SimError("a root user can have at most 8 MFA devices")
            root.devices[serial] = MfaDevice(serial, "", iso(utc_now()))
        return serial

    def console_assign_hardware_token(self, account_id: str, serial: str) -> str:
        """A hardware TOTP token assigned to root (IAM User Guide, "Enable a hardware TOTP token for the root
        user"): named by the serial printed on it; its seed is the token's, never known to anyone here."""
        root = self.root(account_id)
        with self.lock:
            if len(root.mfa) >= 8:
                raise SimError("a root user can have at most 8 MFA devices")
            root.devices[serial] = MfaDevice(serial, "", iso(utc_now()))
        return serial

    def console_sign_in(self, account_id: str, password: str, code: str | None, ip: str = "198.51.100.7") -> bool:
        """A root sign-in; the trail records it (``ConsoleLogin``, success or failure, MFA used or not)."""
        from .trail import console_login

        root = self.root(account_id)
        now = time.time()
        ok = root.password_sha256 == hashlib.sha256(password.encode()).hexdigest()
        if ok and root.mfa:
            ok = any(totp.code(d.seed, now + s * 30) == (code or "").strip() for d in root.mfa if d.seed
                     for s in (-1, 0, 1))
        self.record(console_login(account_id, now, success=ok, mfa_used=bool(root.mfa and code), ip=ip))
        if ok:
            with self.lock:
                root.password_used = iso(utc_now())
        return ok

    def cli_login(self, account_id: str, ip: str = "198.51.100.7") -> None:
        """``aws login`` as root (AWS CLI 2.32+): the trail's two signin records."""
        from .trail import cli_login

        self.record(*cli_login(account_id, time.time(), ip))

    def plant_access_key(self, account_id: str) -> str:
        key_id = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        with self.lock:
            self.root(account_id).access_keys[key_id] = {"Status": "Active", "CreateDate": iso(utc_now())}
        return key_id

    def use_access_key(self, account_id: str, key_id: str, service: str = "s3", region: str = "eu-west-1") -> None:
        """Someone called ``service`` with root's access key: GetAccessKeyLastUsed says so."""
        with self.lock:
            self.root(account_id).access_keys[key_id]["LastUsed"] = (iso(utc_now()), service, region)

    def plant_certificate(self, account_id: str) -> str:
        cert_id = secrets.token_hex(16).upper()
        with self.lock:
            self.root(account_id).certificates[cert_id] = {"Status": "Active", "UploadDate": iso(utc_now())}
        return cert_id

    def plant_mfa(self, account_id: str, name: str = "root-mfa") -> tuple[str, str]:
        """A virtual device enabled out of band (someone else enrolled it): the seed is not ours."""
        serial, seed = self.console_create_virtual_mfa(account_id, name)
        now = time.time()
        self.console_enable_mfa(account_id, serial, totp.code(seed, now), totp.code(seed, now + 30), at=now)
        return serial, seed
