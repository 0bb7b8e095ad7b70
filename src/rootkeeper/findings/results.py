"""One shape for what every check found, whatever the command: the results the exports are made of.

Each command's own report (the payload its ``--json`` prints) becomes a list of ``Result``: one per
resource and check, with a status every finding format knows (pass, warning, fail, unknown), the
command's own word for it (its verdict), and the controls it answers. OCSF, ASFF and the HTML page are
built from these results and nothing else, so that they cannot disagree with each other or with
``--json``. Pure: no AWS, no file, no library but the standard one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

STATUSES = ("pass", "warning", "fail", "unknown")
SEVERITIES = ("informational", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class Control:
    """A control of a published standard: the standard, its version, the control's id and title."""

    standard: str
    version: str
    id: str
    title: str

    @property
    def requirement(self) -> str:
        """How ASFF's RelatedRequirements and OCSF's compliance.requirements name it."""
        return f"{self.standard} v{self.version}/{self.id}" if self.version else f"{self.standard}/{self.id}"

    @property
    def short(self) -> str:
        """For a table cell: "CIS v5 1.4", "IAM.4"."""
        return f"CIS v{self.version.split('.')[0]} {self.id}" if self.standard.startswith("CIS") else self.id


def _cis(version: str, number: str, title: str) -> Control:
    return Control("CIS AWS Foundations Benchmark", version, number, title)


def _hub(number: str, title: str) -> Control:
    return Control("AWS Foundational Security Best Practices", "", number, title)


# The controls that name the root user (FACTS: CIS AWS Foundations v5 1.4/1.5/1.6, v6 2.4/2.5, v7 2.5/2.6;
# Security Hub IAM.4, IAM.6, IAM.9, CloudWatch.1). CIS v6 and v7 renumbered the root access-key control;
# only the numbers checked for this project are claimed. "Avoid root use" is CIS v5 1.7.
ACCESS_KEYS = (_cis("5.0.0", "1.4", "Ensure no 'root' user account access key exists"),
               _hub("IAM.4", "IAM root user access key should not exist"))
MFA = (_cis("5.0.0", "1.5", "Ensure MFA is enabled for the 'root' user account"),
       _cis("6.0.0", "2.4", "Ensure MFA is enabled for the 'root' user account"),
       _cis("7.0.0", "2.5", "Ensure MFA is enabled for the 'root' user account"),
       _hub("IAM.9", "MFA should be enabled for the root user"))
HARDWARE_MFA = (_cis("5.0.0", "1.6", "Ensure hardware MFA is enabled for the 'root' user account"),
                _cis("6.0.0", "2.5", "Ensure hardware MFA is enabled for the 'root' user account"),
                _cis("7.0.0", "2.6", "Ensure hardware MFA is enabled for the 'root' user account"),
                _hub("IAM.6", "Hardware MFA should be enabled for the root user"))
ROOT_USE = (_cis("5.0.0", "1.7", "Eliminate use of the 'root' user for administrative and daily tasks"),
            _hub("CloudWatch.1", "A log metric filter and alarm should exist for usage of the 'root' user"))


@dataclass(frozen=True)
class Check:
    """One check a command makes, as the exports name it."""

    id: str  # stable: part of every finding's id
    title: str
    controls: tuple[Control, ...] = ()


CHECKS = {c.id: c for c in (
    Check("root-custody", "Root user in custody or without credentials (rootkeeper's verdict)",
          ACCESS_KEYS + MFA + HARDWARE_MFA),
    Check("root-access-keys", "Root user has no access keys", ACCESS_KEYS),
    Check("root-mfa", "Root user has MFA, or no credentials to use", MFA),
    Check("root-hardware-mfa", "Root user has a hardware MFA device, or no credentials to use", HARDWARE_MFA),
    Check("root-use", "Every use of the root user is explained by the journal", ROOT_USE),
    Check("trail-integrity", "The organization trail is whole and its digests verify", ROOT_USE),
    Check("custody-rule", "The custody plan holds a rule of the threat model"),
    Check("drill-copy", "A copy restores and agrees with the others"),
)}


@dataclass(frozen=True)
class Result:
    source: str  # the command: audit, root-use, custody-check, drill
    check: str  # a key of CHECKS
    resource_type: str  # account, trail, plan-rule, copy
    resource_id: str  # the account id, the trail, PLAN#RULE, the copy's name
    resource_name: str
    status: str  # one of STATUSES
    verdict: str  # the command's own word (CUSTODIED, NO_MFA, UNEXPLAINED, a rule's name...)
    severity: str  # one of SEVERITIES
    message: str
    remediation: str = ""
    account_id: str | None = None  # the AWS account the resource is (None: not an AWS resource)
    details: dict = field(default_factory=dict)  # plain facts, for the reader (no secret ever)

    @property
    def uid(self) -> str:
        """Stable across runs: the same resource and check always get the same id (ASFF's ``Id``)."""
        return f"rootkeeper/{self.source}/{self.check}/{self.resource_id}"

    @property
    def title(self) -> str:
        return CHECKS[self.check].title

    @property
    def controls(self) -> tuple[Control, ...]:
        return CHECKS[self.check].controls


@dataclass
class Run:
    """What one command examined, with its results: the counts say what was seen and what was not."""

    source: str
    title: str
    at: str  # ISO 8601, UTC
    results: list[Result]
    examined: dict[str, int | str]  # what was looked at, by name
    not_examined: list[str] = field(default_factory=list)
    anchor: str = ""  # the journal record the run stands on: "N sha256:HASH" ("" when the journal has none)
    extra: dict = field(default_factory=dict)  # a custody diagram (SVG text) and the like, for the page

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for r in self.results:
            out[r.status] += 1
        return out

    def verdicts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.results:
            out[r.verdict] = out.get(r.verdict, 0) + 1
        return out


# ------------------------------------------------------------------ org audit
AUDIT_STATUS = {"ROOTLESS": "pass", "CUSTODIED": "pass", "INCOMPLETE": "warning", "UNREACHABLE": "unknown"}
AUDIT_SEVERITY = {"ROOTLESS": "informational", "CUSTODIED": "informational", "NO_MFA": "critical",
                  "ROOT_ACCESS_KEYS": "critical", "DEVICE_UNKNOWN": "critical", "SEED_MISSING": "high",
                  "SEED_MISMATCH": "high", "NOT_IN_VAULT": "high", "DEVICE_GONE": "medium", "INCOMPLETE": "medium",
                  "UNREACHABLE": "medium", "NOT_ACTIVE": "low", "DEVICE_UNRECORDED": "low", "SEED_UNPROVEN": "medium"}
FAIL_SEVERITY = {"root-access-keys": "critical", "root-mfa": "critical", "root-hardware-mfa": "low"}


def audit_status(verdict: str) -> str:
    """ROOTLESS and CUSTODIED pass, INCOMPLETE is a warning, UNREACHABLE unknown, every other verdict fails."""
    return AUDIT_STATUS.get(verdict, "fail")


def _control_checks(row: dict) -> dict[str, tuple[str, str]]:
    """The three control checks of one audited root user: check -> (status, why). Root without credentials
    passes the MFA controls: there is nothing to sign in with (where Security Hub's own controls say it fails,
    and AWS Config says not applicable)."""
    verdict, examined = row["verdict"], row["mfa_enabled"] is not None or row["verdict"] == "ROOTLESS"
    keys = row["access_keys"]
    out = {"root-access-keys": ("unknown", "not examined") if keys is None else
           ("fail", f"{len(keys)} root access key(s)") if keys else ("pass", "no root access key")}
    devices = row.get("mfa_devices") or []
    if verdict == "ROOTLESS":
        out["root-mfa"] = out["root-hardware-mfa"] = ("pass", "no root credentials: nothing to sign in with")
    elif not examined:
        out["root-mfa"] = out["root-hardware-mfa"] = ("unknown", "not examined")
    else:
        out["root-mfa"] = (("pass", f"{len(devices) or 'an'} MFA device(s)") if row["mfa_enabled"]
                           else ("fail", "the root user has no MFA device"))
        hardware = [d for d in devices if d["kind"] != "virtual"]
        out["root-hardware-mfa"] = (
            ("pass", f"{len(hardware)} security key(s) or hardware token(s)") if hardware
            # INCOMPLETE: the devices seen may not be all of root's (a role sees virtual devices only)
            else ("unknown", "a security key or hardware token cannot be seen this way") if verdict == "INCOMPLETE"
            else ("fail", "no security key or hardware token: only virtual MFA") if devices
            else ("fail", "the root user has no MFA device"))
    return out


def from_audit(payload: dict, explain: dict[str, str]) -> list[Result]:
    """Four results per account: rootkeeper's verdict, and the three controls it answers."""
    out = []
    for row in payload["accounts"]:
        account, name, verdict = row["account_id"], row["account_name"], row["verdict"]
        detail = row.get("message") or ", ".join(row.get("findings") or []) or explain.get(verdict, "")
        facts = {k: row.get(k) for k in ("state", "password", "mfa_enabled", "vault", "seed_proven_at",
                                         "password_last_used") if row.get(k) is not None}
        out.append(Result("audit", "root-custody", "account", account, name, audit_status(verdict), verdict,
                          AUDIT_SEVERITY.get(verdict, "high"), f"{verdict}: {detail}",
                          explain.get(verdict, ""), account, facts))
        if verdict in ("NOT_ACTIVE", "UNREACHABLE"):
            continue  # not examined: the verdict says so once; no control is claimed either way
        for check, (status, why) in _control_checks(row).items():
            out.append(Result("audit", check, "account", account, name, status,
                              {"pass": "PASSED", "fail": "FAILED"}.get(status, status.upper()),
                              "informational" if status == "pass" else FAIL_SEVERITY[check], why,
                              "" if status == "pass" else explain.get(verdict, ""), account))
    return out


# ------------------------------------------------------------------ org root-use
def from_root_use(payload: dict, explain: dict[str, str]) -> list[Result]:
    """One result per account examined (its uses and the trail's problems with it), one for the trail."""
    names = {a["account_id"]: a["account_name"] for a in payload.get("accounts", [])}
    uses: dict[str, list[dict]] = {a: [] for a in names}
    for use in payload["uses"]:
        uses.setdefault(use["account_id"], []).append(use)
    problems: dict[str, list[dict]] = {}
    for problem in payload["trail_problems"]:
        problems.setdefault(problem["account_id"] or "", []).append(problem)
    trusted = payload["journal_verified"]
    out = []
    for account in sorted(uses):
        bad = [u for u in uses[account] if u["findings"]]
        own = problems.get(account, [])
        kinds = sorted({k for u in bad for k in u["findings"]} | {p["kind"] for p in own})
        status = "fail" if kinds else "pass" if trusted else "unknown"
        said = [t for n, t in ((len(bad), f"{len(bad)} root use(s) with findings"),
                               (len(own), f"{len(own)} trail problem(s)")) if n]
        message = (f"{' and '.join(said)}: {', '.join(kinds)}"
                   if kinds else f"{len(uses[account])} root use(s), every one explained" if trusted
                   else "the journal does not verify: nothing can be explained")
        out.append(Result("root-use", "root-use", "account", account, names.get(account) or "", status,
                          kinds[0] if kinds else "EXPLAINED" if trusted else "JOURNAL_UNVERIFIED",
                          "high" if kinds else "informational", message,
                          "; ".join(explain.get(k, k) for k in kinds), account,
                          {"uses": len(uses[account]), "with_findings": len(bad)}))
    trail = payload.get("trail") or {}
    # Every trail problem fails the trail as well as its account: a reader of this result alone is not misled.
    every = payload["trail_problems"]
    kinds = {}
    for p in every:
        kinds[p["kind"]] = kinds.get(p["kind"], 0) + 1
    broken = every or payload["not_examined"] or not trusted
    message = "; ".join([f"{n} {k}" for k, n in sorted(kinds.items())] + list(payload["not_examined"])
                        + ([] if trusted else ["the journal does not verify"])) or (
        f"{payload['examined'].get('objects_read', 0)} log file(s) read, "
        f"{payload['examined'].get('objects_verified', 0)} verified against signed digests")
    out.append(Result("root-use", "trail-integrity", "trail", trail.get("name") or payload["source"].get("via", "trail"),
                      trail.get("bucket", ""), "fail" if broken else "pass", "TRAIL_PROBLEM" if broken else "VERIFIED",
                      "high" if broken else "informational", message))
    return out


# ------------------------------------------------------------------ custody check
def from_custody_check(payload: dict, rules: dict[str, str]) -> list[Result]:
    """One result per rule of the threat model: each rule holds (pass) or names its findings (fail)."""
    failing: dict[str, list[dict]] = {}
    for finding in payload["findings"]:
        failing.setdefault(finding["rule"], []).append(finding)
    out = []
    for rule, text in {**rules, **{r: r for r in failing if r not in rules}}.items():  # a finding is never dropped
        found = failing.get(rule, [])
        out.append(Result("custody-check", "custody-rule", "plan-rule", f"{payload['plan']}#{rule}", text,
                          "fail" if found else "pass", rule if found else "HOLDS", "high" if found else "informational",
                          "; ".join(f["message"] for f in found) or text))
    return out


# ------------------------------------------------------------------ drill
def from_drill(payload: dict) -> list[Result]:
    """One result per copy drilled; a difference that names no copy is a result of its own."""
    out, named = [], set()
    for copy in payload["copies"]:
        name = copy["copy"]
        mine = [d for d in payload["differences"] if d.startswith((f"copy {name}:", f"copy {name} "))]
        named.update(mine)
        ok = copy["ok"] and not mine
        out.append(Result("drill", "drill-copy", "copy", copy["copy"], copy["path"], "pass" if ok else "fail",
                          "RESTORED" if ok else "DIFFERENCE", "informational" if ok else "high",
                          "; ".join(([copy["problem"]] if copy["problem"] else []) + mine) or
                          f"{copy['kind']} copy opened: {copy['accounts']} account(s)",
                          details={"kind": copy["kind"], "accounts": copy["accounts"]}))
    for n, difference in enumerate((d for d in payload["differences"] if d not in named), 1):
        out.append(Result("drill", "drill-copy", "copy", f"cross-check-{n}", "", "fail", "DIFFERENCE", "high",
                          difference))
    return out


def json_array(items: list[dict]) -> str:
    """A JSON array with one item a line, compact (json's C encoder: indenting 100,000 findings takes seconds)."""
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    return "[\n" + ",\n".join(encode(item) for item in items) + "\n]" if items else "[]"
