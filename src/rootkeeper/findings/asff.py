"""Results in the AWS Security Finding Format (ASFF), as Security Hub CSPM's BatchImportFindings takes them.

Pure: the caller says which account imports (``AwsAccountId``) and where. With the default product
ARN, AWS requires ``AwsAccountId`` to be the account that calls BatchImportFindings (BatchImportFindings'
documentation in botocore's securityhub model), so a finding about a member account names the member
as its *resource* (``AwsAccount``, ``AWS::::Account:ID``), never as ``AwsAccountId``.
"""

from __future__ import annotations

from .results import Result, json_array

SCHEMA_VERSION = "2018-10-08"
BATCH = 100  # BatchImportFindings takes at most 100 findings a call
COMPLIANCE = {"pass": "PASSED", "warning": "WARNING", "fail": "FAILED", "unknown": "NOT_AVAILABLE"}
SEVERITY = {"informational": "INFORMATIONAL", "low": "LOW", "medium": "MEDIUM", "high": "HIGH", "critical": "CRITICAL"}
TYPES = {"audit": "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark",
         "root-use": "TTPs/Initial Access/Valid Accounts",
         "custody-check": "Software and Configuration Checks/AWS Security Best Practices",
         "drill": "Software and Configuration Checks/AWS Security Best Practices"}
MAX_REQUIREMENTS = 32  # Compliance.RelatedRequirements: at most 32 items


def product_arn(partition: str, region: str, account: str) -> str:
    """The default product of an account's own findings (Security Hub: 'BatchImportFindings' of a custom integration)."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


def generator(result: Result) -> str:
    return f"rootkeeper/{result.source}/{result.check}"


def _resource(result: Result, partition: str, region: str) -> dict:
    if result.resource_type == "account":
        return {"Type": "AwsAccount", "Id": f"AWS::::Account:{result.resource_id}", "Partition": partition,
                "Region": region}
    return {"Type": "Other", "Id": f"{result.resource_type}/{result.resource_id}"[:512], "Partition": partition,
            "Region": region, **({"Details": {"Other": {"name": result.resource_name[:1024]}}}
                                 if result.resource_name else {})}


def finding(result: Result, *, account: str, partition: str, region: str, now: str, created: str | None = None) -> dict:
    """One ASFF finding. ``created``: when Security Hub first had it (kept across updates); ``now`` otherwise."""
    passed = result.status == "pass"
    out = {"SchemaVersion": SCHEMA_VERSION, "Id": result.uid, "ProductArn": product_arn(partition, region, account),
           "GeneratorId": generator(result), "AwsAccountId": account, "Types": [TYPES[result.source]],
           "CreatedAt": created or now, "UpdatedAt": now,
           "Severity": {"Label": SEVERITY[result.severity]},
           "Title": f"{result.title}: {result.resource_name or result.resource_id}"[:256],
           "Description": result.message[:1024] or result.title,
           "ProductFields": {"rootkeeper/verdict": result.verdict, "rootkeeper/check": result.check},
           "Resources": [_resource(result, partition, region)],
           "Compliance": {"Status": COMPLIANCE[result.status]},
           # A resolved (passing) finding is archived: Security Hub keeps it, its views hide it.
           "RecordState": "ARCHIVED" if passed else "ACTIVE"}
    requirements = [c.requirement for c in result.controls][:MAX_REQUIREMENTS]
    if requirements:
        out["Compliance"]["RelatedRequirements"] = requirements
    if result.remediation and not passed:
        out["Remediation"] = {"Recommendation": {"Text": result.remediation[:512]}}
    return out


def archived(previous: dict, now: str, why: str) -> dict:
    """An earlier finding this run no longer produces (its account left, its rule is gone): archived in place."""
    out = {k: previous[k] for k in ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
                                     "CreatedAt", "Severity", "Title", "Description", "Resources") if k in previous}
    out.update({"UpdatedAt": now, "RecordState": "ARCHIVED", "Compliance": {"Status": "NOT_AVAILABLE",
                                                                           "StatusReasons": [{"ReasonCode": "rootkeeper",
                                                                                              "Description": why[:2048]}]}})
    return out


def batches(findings: list[dict]) -> list[list[dict]]:
    return [findings[i:i + BATCH] for i in range(0, len(findings), BATCH)]


def document(results: list[Result], *, account: str, partition: str, region: str, now: str) -> str:
    """The results as a JSON array of ASFF findings, one a line (what --format asff prints)."""
    return json_array([finding(r, account=account, partition=partition, region=region, now=now) for r in results])
