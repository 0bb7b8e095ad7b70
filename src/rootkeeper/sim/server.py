"""The simulator's AWS API: a WSGI application in front of moto's own server.

Requests are told apart by their SigV4 credential scope. IAM, STS and Organizations
operations that moto lacks (AssumeRoot, the root-user calls of a root session,
ListOrganizationsFeatures, Enable/DisableOrganizationsRoot*, trusted access for IAM)
or gets wrong for this purpose (GetAccountSummary, ListVirtualMFADevices, AssumeRole
into a missing role, quadratic ListAccounts) are answered here, in AWS's wire format;
everything else goes to moto untouched. Faults injected per account (latency,
throttling, AccessDenied, any action's error) apply to every call attributed to it.
"""

from __future__ import annotations

import base64
import io
import json
import re
import secrets
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

from .contract import operation
from .state import (
    CREDENTIAL_TASKS,
    FEATURE_OFF,
    MANAGEMENT_ACCOUNT,
    ORG_THROTTLED,
    RESOURCE_TASKS,
    TASK_POLICIES,
    TASK_POLICY_PREFIX,
    Session,
    SimError,
    iso,
    utc_now,
)
from .wire import SCOPE, Reply, call_app

CONSOLE_PATH = "/_rootkeeper/console/"  # the console's steps, for 'rootkeeper sim console' (no AWS API has them)


# AWS's access-denied messages (IAM User Guide, "Troubleshoot access denied error messages").
def _implicit_deny(principal: str, action: str, resource: str) -> str:
    return (f"User: {principal} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def _explicit_deny(principal: str, action: str, resource: str, policy: str) -> str:
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} with an explicit deny in a {policy}"

# A root user's long-term API credentials, listed and deleted alike:
# kind -> (RootUser attribute, id element, list result element, what it is, the rest of a member's XML)
LONG_TERM = {
    "AccessKey": ("access_keys", "AccessKeyId", "AccessKeyMetadata", "Access Key",
                  lambda v: f"<Status>{v['Status']}</Status><CreateDate>{v['CreateDate']}</CreateDate>"),
    "SigningCertificate": ("certificates", "CertificateId", "Certificates", "Certificate",
                           lambda v: f"<CertificateBody>-----BEGIN CERTIFICATE-----</CertificateBody>"
                                     f"<Status>{v['Status']}</Status><UploadDate>{v['UploadDate']}</UploadDate>"),
}


class AwsApi:
    """Mixed into ``SimOrg``: its state (``roots``, ``sessions``, ``features``, ``faults``...) answers here."""

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
        """Answer one request; with ``validate`` on, check the answer against botocore's model first."""
        if not getattr(self, "validate", False):
            return self._dispatch(environ, start_response)
        status, headers, body = call_app(self._dispatch, environ)
        called = environ.get("rootkeeper.call")
        if called is not None:
            from .contract import check_answer

            problems = check_answer(*called, int(status.split()[0]), body)
            if problems:
                with self.lock:
                    self.violations += problems
        start_response(status, headers)
        return [body]

    def _dispatch(self, environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        if environ.get("PATH_INFO", "").startswith(CONSOLE_PATH):
            return self._console(environ.get("PATH_INFO", "")[len(CONSOLE_PATH):], body, start_response)
        scope = SCOPE.search(environ.get("HTTP_AUTHORIZATION", ""))
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
            session = self.sessions.get(key_id)
            if session is None or session.task not in RESOURCE_TASKS:  # those count their own (task-policy) actions
                self._count(session, service, operation(service, environ, body))
            if service == "cloudtrail" and environ.get("HTTP_X_AMZ_TARGET", "").endswith(".ListPublicKeys"):
                return self._cloudtrail_ListPublicKeys(body, start_response)  # moto has no ListPublicKeys
            if session is not None and session.task in RESOURCE_TASKS:
                return self._root_session_resource(session, key_id, service, region, body, environ, start_response)
            if service == "s3" and self.trail is not None:
                self.trail.flush()  # CloudTrail has delivered what happened before this read
            return self.moto(environ, start_response)
        environ["rootkeeper.call"] = (service, action)
        environ["rootkeeper.region"] = region
        environ["rootkeeper.key"] = key_id
        session = self.sessions.get(key_id)
        account = session.account_id if session else MANAGEMENT_ACCOUNT
        if action == "AssumeRoot":
            account = params.get("TargetPrincipal", "")
        elif action == "AssumeRole":
            account = params.get("RoleArn", "::::").split(":")[4]
        self._count(session, service, action)
        with self.lock:
            self.calls[account] += 1
            self.regions[region] += 1  # the SigV4 scope's region: which region the client signed for
            faults = self.faults.get(account)
            throttled = bool(faults and faults.throttle)
            if throttled and faults.throttle > 0:
                faults.throttle -= 1
        delay = faults.latency if faults and faults.latency is not None else self.latency
        if delay:
            time.sleep(delay)
        reply = Reply(service, action, start_response)
        if throttled:
            if service == "organizations":  # Organizations API reference: TooManyRequestsException
                return reply.error("TooManyRequestsException", ORG_THROTTLED, 400)
            return reply.error("Throttling", "Rate exceeded")
        if service == "sts" and region in self.disabled_regions and action in ("AssumeRoot", "AssumeRole"):
            # STS API reference, RegionDisabledException (HTTP 403), declared for these operations.
            return reply.error("RegionDisabledException", f"STS is not activated in region {region} for this account. "
                                                          "Your account administrator can activate STS in this region "
                                                          "using the IAM Console.")
        if faults and action in faults.errors:
            return reply.error(faults.errors[action], f"{action} refused for account {account} (injected)")
        if faults and faults.deny and action in ("AssumeRoot", "AssumeRole"):
            return reply.error("AccessDenied", _implicit_deny(self._caller_arn(session), f"sts:{action}",
                                                              f"arn:aws:iam::{account}:root"))
        handler = getattr(self, f"_{service}_{action}", None)
        if session and session.task and service == "iam":
            return self._root_session_call(session, action, params, reply, key_id)
        if session and (session.task or session.caller) and service == "sts" and action == "GetCallerIdentity":
            arn = f"arn:aws:iam::{account}:root" if session.task else self._caller_arn(session)
            return reply.ok(f"<UserId>{account if session.task else key_id}</UserId><Account>{account}</Account>"
                            f"<Arn>{arn}</Arn>")
        if handler is None:
            return self.moto(environ, start_response)
        return handler(account, session, params, reply, environ)

    def _count(self, session: Session | None, service: str, action: str) -> None:
        """Every API operation called, in ``actions``, and by whom in ``principal_actions``: "caller" (the
        management account's or a delegated administrator's own credentials), "role" (a role session: the
        --via role:NAME audit role), or "root:TASK" (a root session, under AWS's task policy)."""
        who = ("caller" if session is None or session.caller else f"root:{session.task}" if session.task else "role")
        with self.lock:
            self.actions[f"{service}:{action}"] += 1
            self.principal_actions.setdefault(who, Counter())[f"{service}:{action}"] += 1

    # ------------------------------------------------------------------- the console
    def _console(self, action: str, body: bytes, start_response):
        """The console's steps, which AWS offers in no API (``rootkeeper sim console``): JSON in, JSON out."""
        def answer(status: str, data: dict):
            start_response(status, [("Content-Type", "application/json")])
            return [json.dumps(data).encode()]

        try:
            ask = json.loads(body or b"{}")
            account = str(ask.get("account", ""))
            if account not in self.roots:
                return answer("404 Not Found", {"error": f"no account {account} in the simulated organization"})
            if action == "set-password":
                self.console_set_password(account, str(ask["password"]))
                return answer("200 OK", {})
            if action == "assign-mfa":
                serial, seed = self.console_create_virtual_mfa(account, str(ask.get("name", "")))
                return answer("200 OK", {"serial": serial, "secret": seed})
            if action == "enable-mfa":
                self.console_enable_mfa(account, str(ask["serial"]), str(ask["code1"]), str(ask["code2"]))
                return answer("200 OK", {})
            if action == "sign-in":
                return answer("200 OK", {"signed_in": self.console_sign_in(account, str(ask["password"]),
                                                                          ask.get("code"))})
            if action == "plant":
                what = ask.get("what")
                planted = (self.plant_access_key(account) if what == "access-key" else
                           self.plant_certificate(account) if what == "certificate" else
                           self.plant_mfa(account, str(ask.get("name") or "someone-elses-phone"))[0] if what == "mfa"
                           else None)
                if planted is None:
                    return answer("400 Bad Request", {"error": f"cannot plant {what!r}: access-key, certificate or mfa"})
                return answer("200 OK", {"planted": planted})
            return answer("404 Not Found", {"error": f"the console has no step {action!r}"})
        except (KeyError, ValueError, TypeError) as exc:
            return answer("400 Bad Request", {"error": f"a bad request: {exc}"})
        except SimError as exc:
            return answer("409 Conflict", {"error": str(exc)})

    @staticmethod
    def _caller_arn(session) -> str:
        account = session.account_id if session else MANAGEMENT_ACCOUNT
        return f"arn:aws:iam::{account}:user/rootkeeper-operator"

    def _is_admin(self, account_id: str) -> bool:
        """The management account, or a delegated administrator for IAM."""
        return account_id == MANAGEMENT_ACCOUNT or account_id in self.delegates

    # ------------------------------------------------------------- STS
    def _sts_AssumeRoot(self, target, session, params, reply, environ):
        caller = session.account_id if session else MANAGEMENT_ACCOUNT
        if session and session.task:
            return reply.error("AccessDenied", "AssumeRoot cannot be called with root credentials")
        if not self._is_admin(caller):
            # STS API reference, AssumeRoot: only the management account or a delegated administrator for IAM.
            return reply.error("AccessDenied", _implicit_deny(self._caller_arn(session), "sts:AssumeRoot",
                                                              f"arn:aws:iam::{target}:root"))
        accounts = self.accounts()
        account = accounts.get(target)
        if account is None or target == MANAGEMENT_ACCOUNT or self.state(target) != "ACTIVE":
            # Not AWS's words: AWS documents no message for a target that is not an active member.
            return reply.error("AccessDenied", f"{target} is not an active member account of the organization")
        arn = params.get("TaskPolicyArn.arn", "")
        task = arn.removeprefix(TASK_POLICY_PREFIX)
        if not arn.startswith(TASK_POLICY_PREFIX) or task not in TASK_POLICIES:
            return reply.error("ValidationError", f"unknown task policy {arn}")
        # The IAM tasks need RootCredentialsManagement only; RootSessions gates the S3 and SQS unlock tasks.
        feature = "RootCredentialsManagement" if task in CREDENTIAL_TASKS else "RootSessions"
        if not self.effective_on(feature):
            return reply.error("AccessDenied", FEATURE_OFF[feature])
        duration = int(params.get("DurationSeconds") or 900)
        if not 0 <= duration <= 900:  # STS API reference: 0 to 900 seconds
            return reply.error("ValidationError", "DurationSeconds must be at most 900")
        key_id = "ASIA" + secrets.token_hex(8).upper()
        with self.lock:
            self.sessions[key_id] = Session(target, task)
        from .trail import assume_root

        self.record(assume_root(caller, self._caller_arn(session), target, arn, environ.get("rootkeeper.region", "us-east-1"),
                                time.time(), key_id))
        expires = iso(utc_now() + timedelta(seconds=duration))
        return reply.ok(f"<Credentials><AccessKeyId>{key_id}</AccessKeyId><SecretAccessKey>{secrets.token_hex(20)}"
                        f"</SecretAccessKey><SessionToken>{secrets.token_hex(32)}</SessionToken>"
                        f"<Expiration>{expires}</Expiration></Credentials>")

    def _sts_AssumeRole(self, account_id, session, params, reply, environ):
        from moto.iam.models import iam_backends

        name = params.get("RoleArn", "").rpartition("/")[2]
        if account_id not in self.accounts() or not any(
                r.name == name for r in iam_backends[account_id]["global"].roles.values()):
            return reply.error("AccessDenied", f"User is not authorized to perform: sts:AssumeRole on resource: "
                                               f"{params.get('RoleArn', '')}")
        status, headers, body = call_app(self.moto, environ)
        found = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", body)
        if found:
            with self.lock:
                self.sessions[found.group(1).decode()] = Session(account_id, None)
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
        faults = self.faults.get(account_id)
        omitted = faults.summary_omits if faults else set()
        entries = "".join(f"<entry><key>{k}</key><value>{v}</value></entry>" for k, v in values.items()
                          if k not in omitted)
        return f"<SummaryMap>{entries}</SummaryMap>"

    def _iam_GetAccountSummary(self, account_id, session, params, reply, environ):
        return reply.ok(self._summary(account_id))

    def _iam_ListVirtualMFADevices(self, account_id, session, params, reply, environ):
        wanted = params.get("AssignmentStatus", "Any")
        members = []
        for device in self.root(account_id).devices.values():
            if ":mfa/" not in device.serial:  # a FIDO key or a hardware token is no virtual device: never listed here
                continue
            assigned = device.enabled_at is not None
            if wanted == "Any" or (wanted == "Assigned") == assigned:
                user = (f"<User><UserId>{account_id}</UserId>"
                        f"<Arn>arn:aws:iam::{account_id}:root</Arn><CreateDate>{iso(utc_now())}</CreateDate></User>"
                        f"<EnableDate>{device.enabled_at}</EnableDate>") if assigned else ""
                members.append(f"<member><SerialNumber>{escape(device.serial)}</SerialNumber>{user}</member>")
        return reply.ok(f"<VirtualMFADevices>{''.join(members)}</VirtualMFADevices><IsTruncated>false</IsTruncated>")

    def _org_features_check(self, account_id, reply, *, enable: bool = False):
        if not self._is_admin(account_id):
            return reply.error("AccountNotManagementOrDelegatedAdministratorException",
                               "The caller is not the management account or a delegated administrator", 400)
        if enable and account_id != MANAGEMENT_ACCOUNT:
            # A delegated administrator may list and disable, not enable (IAM API reference, Enable*).
            return reply.error("CallerIsNotManagementAccountException",
                               "The request was rejected because the account making the request is not the "
                               "management account for the organization.", 400)
        if self._org.org is None:
            return reply.error("OrganizationNotFoundException", "The account is not in an organization", 400)
        if not (self.effective_on("TrustedAccess") if enable else self.trusted_access()):
            return reply.error("ServiceAccessNotEnabledException",
                               "Trusted access for iam.amazonaws.com is not enabled in AWS Organizations", 400)
        return None

    def _features_reply(self, reply):
        members = "".join(f"<member>{f}</member>" for f in sorted(self.features))
        return reply.ok(f"<OrganizationId>{self._org.org.id}</OrganizationId><EnabledFeatures>{members}</EnabledFeatures>")

    def _iam_ListOrganizationsFeatures(self, account_id, session, params, reply, environ):
        return self._org_features_check(account_id, reply) or self._features_reply(reply)

    def _toggle(self, feature: str, on: bool, account_id, reply):
        refused = self._org_features_check(account_id, reply, enable=on)
        if refused:
            return refused
        self.change(feature, on)
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
        if account_id != MANAGEMENT_ACCOUNT:
            return reply.error("AccessDeniedException", "You don't have permissions to access this resource.", 400)
        if not self.trusted_access():
            self.change("TrustedAccess", True)
        return reply.json({})

    def _organizations_ListDelegatedAdministrators(self, account_id, session, params, reply, environ):
        """IAM's delegated administrators (moto knows no iam.amazonaws.com): the simulator's own register."""
        if params.get("ServicePrincipal") != "iam.amazonaws.com":
            return self.moto(environ, reply.start_response)
        if account_id != MANAGEMENT_ACCOUNT and account_id not in self.delegates:
            return reply.error("AccessDeniedException", "You don't have permissions to access this resource.", 400)
        accounts = self.accounts()
        members = []
        for delegate in sorted(self.delegates):
            a = accounts.get(delegate)
            if a is not None:
                described = self._account_json(a.describe())
                members.append({k: described[k] for k in ("Id", "Arn", "Email", "Name", "State", "JoinedMethod",
                                                          "JoinedTimestamp") if k in described}
                               | {"DelegationEnabledDate": described.get("JoinedTimestamp")})
        return reply.json({"DelegatedAdministrators": members})

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
        page = {"Accounts": [self._account_json(a.describe()) for a in order[start:start + size]]}
        if start + size < len(order):
            page["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
        return reply.json(page)

    def _account_json(self, described: dict) -> dict:
        """An Account as AWS sends it since September 2026: ``State`` (the whole lifecycle), no
        ``Status`` (retired: botocore's Organizations model)."""
        out = {k: v for k, v in described.items() if k != "Status" and v is not None}
        out["State"] = self.state(described["Id"])
        return out

    def _organizations_DescribeAccount(self, account_id, session, params, reply, environ):
        account = self.accounts().get(params.get("AccountId", ""))
        if account is None or self._org.org is None:
            return self.moto(environ, reply.start_response)
        return reply.json({"Account": self._account_json(account.describe())})

    def _organizations_ListAccountsForParent(self, account_id, session, params, reply, environ):
        return self._rewritten(environ, reply, lambda page: {
            **page, "Accounts": [self._account_json(a) for a in page.get("Accounts", [])]})

    def _organizations_ListOrganizationalUnitsForParent(self, account_id, session, params, reply, environ):
        return self._rewritten(environ, reply, lambda page: page)

    def _rewritten(self, environ, reply, change):
        """moto's answer, changed; members moto sends as null (AWS leaves them out) dropped."""
        status, headers, body = call_app(self.moto, environ)
        if status.startswith("200"):
            page = change({k: v for k, v in json.loads(body).items() if v is not None})
            body = json.dumps(page).encode()
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"] + [("Content-Length", str(len(body)))]
        reply.start(status, headers)
        return [body]

    # ------------------------------------------------------------- a root session
    def _root_session_call(self, session: Session, action: str, params: dict, reply: Reply, key_id: str):
        from .trail import root_call

        account_id, root = session.account_id, self.root(session.account_id)
        self.record(root_call(account_id, action, time.time(), key_id, assumed=True))
        if action not in TASK_POLICIES[session.task]:
            return reply.error("AccessDenied", f"User: arn:aws:sts::{account_id}:root is not authorized to perform: "
                                               f"iam:{action} (not allowed by the task policy {session.task})")
        if params.get("UserName"):
            return reply.error("AccessDenied", f"iam:{action} on an IAM user is not allowed by the task policy {session.task}")
        faults = self.faults.get(account_id)
        for denied, policy in ((faults.scp_deny if faults else (), "service control policy"),
                               (faults.rcp_deny if faults else (), "resource control policy")):
            if action in denied:  # SCPs and RCPs apply to root sessions (IAM User Guide, centralized root access)
                return reply.error("AccessDenied", _explicit_deny(f"arn:aws:iam::{account_id}:root", f"iam:{action}",
                                                                  f"arn:aws:iam::{account_id}:root", policy))
        now = time.monotonic()
        with self.lock:
            if action == "GetAccountSummary":
                return reply.ok(self._summary(account_id))
            if action == "GetUser":  # a root session: UserId, Arn and CreateDate (PasswordLastUsed once used)
                used = f"<PasswordLastUsed>{root.password_used}</PasswordLastUsed>" if root.password_used else ""
                return reply.ok(f"<User><UserId>{account_id}</UserId><Arn>arn:aws:iam::{account_id}:root</Arn>"
                                f"<CreateDate>{iso(utc_now())}</CreateDate>{used}</User>")
            if action == "GetAccessKeyLastUsed":
                key = root.access_keys.get(params.get("AccessKeyId", ""))
                if key is None:
                    return reply.error("AccessDenied", "The access key is not root's")
                # IAM API reference: never used, ServiceName and Region are "N/A" and LastUsedDate is left out.
                when, service, region = key.get("LastUsed") or (None, "N/A", "N/A")
                date = f"<LastUsedDate>{when}</LastUsedDate>" if when else ""
                return reply.ok(f"<AccessKeyLastUsed>{date}<ServiceName>{service}</ServiceName>"
                                f"<Region>{region}</Region></AccessKeyLastUsed>")
            if action == "GetLoginProfile":
                created = root.password_created or root.ghosts_of("login", now).get("root")
                if created is None:
                    return reply.error("NoSuchEntity", "Login Profile for User root cannot be found.")
                return reply.ok(self._login_profile(created, root.password_reset_required))
            if action == "CreateLoginProfile":
                if root.password_created is not None:
                    return reply.error("EntityAlreadyExists", "Login Profile for User root already exists.")
                root.password_created, root.password_reset_required = iso(utc_now()), True
                root.password_sha256 = None  # unknown to anyone: it must be reset through e-mail
                # AWS answers PasswordResetRequired false here (published captures), whatever it enforces.
                return reply.ok(self._login_profile(root.password_created, False))
            if action == "DeleteLoginProfile":
                if root.password_created is None:
                    return reply.error("NoSuchEntity", "Login Profile for User root cannot be found.")
                root.ghosts[("login", "root")] = (now + self.list_lag, root.password_created)
                root.password_created = root.password_sha256 = None
                return reply.ok("")
            if action == "ListMFADevices":
                listed = {d.serial: d.enabled_at for d in root.mfa} | root.ghosts_of("mfa", now)
                members = "".join(f"<member><SerialNumber>{escape(serial)}</SerialNumber>"
                                  f"<EnableDate>{enabled}</EnableDate></member>" for serial, enabled in listed.items())
                return reply.ok(f"<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated>")
            if action == "DeactivateMFADevice":
                device = root.devices.get(params.get("SerialNumber", ""))
                if device is None or not device.enabled_at:
                    return reply.error("NoSuchEntity", f"MFA device {params.get('SerialNumber', '')} is not assigned to root")
                root.ghosts[("mfa", device.serial)] = (now + self.list_lag, device.enabled_at)
                device.enabled_at = None
                return reply.ok("")
            kind = action.removeprefix("List").removesuffix("s") if action.startswith("List") else action.removeprefix("Delete")
            if kind in LONG_TERM:
                attribute, id_tag, list_tag, what, details = LONG_TERM[kind]
                held = getattr(root, attribute)
                if action.startswith("List"):
                    listed = held | root.ghosts_of(kind, now)
                    members = "".join(f"<member><{id_tag}>{k}</{id_tag}>{details(v)}</member>" for k, v in listed.items())
                    return reply.ok(f"<{list_tag}>{members}</{list_tag}><IsTruncated>false</IsTruncated>")
                gone = held.pop(params.get(id_tag, ""), None)
                if gone is None:
                    return reply.error("NoSuchEntity", f"The {what} with id given cannot be found.")
                root.ghosts[(kind, params[id_tag])] = (now + self.list_lag, gone)
                return reply.ok("")
        return reply.error("AccessDenied", f"iam:{action} is not simulated for root sessions")

    def _cloudtrail_ListPublicKeys(self, body: bytes, start_response):
        """The simulated CloudTrail's digest-signing key (CloudTrail API reference, ListPublicKeys)."""
        from .trail import list_public_keys_answer

        ask = json.loads(body or b"{}")
        now = time.time()
        data = json.dumps(list_public_keys_answer(float(ask.get("StartTime") or now), float(ask.get("EndTime") or now)))
        start_response("200 OK", [("Content-Type", "application/x-amz-json-1.1"), ("Content-Length", str(len(data)))])
        return [data.encode()]

    def _root_session_resource(self, session: Session, key_id: str, service: str, region: str, body: bytes,
                               environ, start_response):
        """An S3 or SQS call in a root session of an unlock task: the task policy's actions only, answered by moto
        in the member account (``x-moto-account-id``), and recorded in its trail."""
        from .trail import root_call

        allowed_service, allowed = RESOURCE_TASKS[session.task]
        action = operation(service, environ, body)
        self._count(session, service, action)
        with self.lock:
            self.calls[session.account_id] += 1
        ok = service == allowed_service and action in allowed
        self.record(root_call(session.account_id, action, time.time(), key_id, assumed=True,
                              source=f"{service}.amazonaws.com", region=region,
                              error=None if ok else ("AccessDenied", "not allowed by the task policy")))
        if not ok:
            message = (f"User: arn:aws:sts::{session.account_id}:root is not authorized to perform: {service}:{action} "
                       f"because no identity-based policy allows it (the task policy {session.task})")
            if service == "sqs":
                data = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "message": message}).encode()
                headers = [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-query-error", "AccessDenied;Sender")]
            else:
                data = (f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>AccessDenied</Code><Message>{escape(message)}"
                        f"</Message><RequestId>{secrets.token_hex(8)}</RequestId></Error>").encode()
                headers = [("Content-Type", "application/xml")]
            start_response("403 Forbidden" if service == "s3" else "400 Bad Request",
                           headers + [("Content-Length", str(len(data)))])
            return [data]
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = session.account_id
        return self.moto(environ, start_response)

    @staticmethod
    def _login_profile(created: str, reset_required: bool) -> str:
        reset = "true" if reset_required else "false"
        return (f"<LoginProfile><CreateDate>{created}</CreateDate>"
                f"<PasswordResetRequired>{reset}</PasswordResetRequired></LoginProfile>")
