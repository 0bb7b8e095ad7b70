"""The IAM permissions each org command needs, as policy documents and a CloudFormation StackSet template.

Pure data and builders (no AWS call). Each ``Need`` lists the IAM actions its commands call, by whom:
the caller (the management account, or a delegated administrator for IAM), and the ``--via role:NAME``
audit role in each member account. Calls made in a root session are not here: AWS's task policy
(``arn:aws:iam::aws:policy/root-task/...``) is the session's only policy; the caller needs only
``sts:AssumeRoot`` limited to those tasks by the ``sts:TaskPolicyArn`` condition key.

The tests hold every list to what the commands really call: the simulator records each API operation by
principal, and a policy that lacks one, or grants one no command calls, fails them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import InputError

READ_ORG = ("organizations:DescribeOrganization", "organizations:ListAccounts", "organizations:DescribeAccount")
# An API operation whose IAM action has another name; None: the operation needs no permission.
OPERATION_ACTION = {"s3:ListObjectsV2": "s3:ListBucket", "s3:HeadObject": "s3:GetObject", "sts:GetCallerIdentity": None}
DEFAULT_ROLE = "rootkeeper-audit"
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")


@dataclass(frozen=True)
class Need:
    purpose: str
    summary: str
    commands: tuple[str, ...]
    caller: tuple[str, ...]  # the caller's actions, besides sts:AssumeRoot and sts:AssumeRole
    tasks: tuple[str, ...] = ()  # the root-task policies sts:AssumeRoot is limited to
    management_only: tuple[str, ...] = ()  # of ``caller``: what only the management account calls
    role: tuple[str, ...] = ()  # the --via role:NAME audit role's actions (in each member account)
    delegable: bool = True  # a delegated administrator for IAM can run these commands


NEEDS = {n.purpose: n for n in (
    Need("audit", "read the organization and audit every root user (AssumeRoot, or --via role:NAME)",
         ("org accounts", "org reconcile", "org audit", "org audit --via role:NAME"),
         READ_ORG + ("organizations:ListRoots", "organizations:ListOrganizationalUnitsForParent",
                     "organizations:ListAccountsForParent", "iam:GetAccountSummary", "iam:ListVirtualMFADevices"),
         tasks=("IAMAuditRootUserCredentials",),
         # the management account is audited with the caller's own credentials (AssumeRoot cannot reach it)
         management_only=("iam:GetAccountSummary", "iam:ListVirtualMFADevices"),
         role=("iam:GetAccountSummary", "iam:ListVirtualMFADevices")),
    Need("delete", "delete member accounts' root credentials (and look first, with --dry-run)", ("org delete-root",),
         READ_ORG, tasks=("IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials")),
    Need("recovery", "let a member account's root user recover its password", ("org allow-recovery",),
         READ_ORG, tasks=("IAMCreateRootUserPassword",)),
    Need("enable", "turn on centralized root access (trusted access for IAM and both features)",
         ("org enable-central-root",),
         ("organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization",
          "organizations:EnableAWSServiceAccess", "iam:ListOrganizationsFeatures",
          "iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions"),
         delegable=False),
    Need("root-use", "read the organization trail's log files and digests in S3 (org root-use, --via s3)",
         ("org root-use",),
         READ_ORG + ("organizations:ListDelegatedAdministrators", "cloudtrail:DescribeTrails",
                     "cloudtrail:ListPublicKeys", "s3:ListBucket", "s3:GetObject")),
    Need("security-hub", "send findings to Security Hub CSPM (--to-security-hub)",
         ("org audit --to-security-hub", "org root-use --to-security-hub"),
         ("securityhub:GetFindings", "securityhub:BatchImportFindings")),
    Need("unlock", "delete a member account's bucket or queue policy in a root session",
         ("org unlock-bucket-policy", "org unlock-queue-policy"),
         READ_ORG, tasks=("S3UnlockBucketPolicy", "SQSUnlockQueuePolicy")),
)}


def iam_action(operation: str) -> str | None:
    """The IAM action an API operation ("service:Operation") needs; None when it needs none."""
    return OPERATION_ACTION.get(operation, operation)


# The actions that take a resource narrower than "*" (the Service Authorization Reference's resource types):
# action -> the resource, from the partition and the trail's bucket (None: not given).
SCOPED = {
    "organizations:DescribeAccount": lambda p, _b: f"arn:{p}:organizations::*:account/o-*/*",
    "s3:ListBucket": lambda p, b: f"arn:{p}:s3:::{b}" if b else "*",
    "s3:GetObject": lambda p, b: f"arn:{p}:s3:::{b}/*" if b else "*",
    "securityhub:BatchImportFindings": lambda p, _b: f"arn:{p}:securityhub:*:*:product/*/default",
}
SIDS = {"organizations": "Organizations", "iam": "IamOfThisAccount", "cloudtrail": "CloudTrail",
        "s3": "TrailBucket", "securityhub": "SecurityHubFindings"}


def _grouped(actions: list[str], partition: str = "aws", bucket: str | None = None) -> list[dict]:
    """One statement per service and resource, in a stable order."""
    groups: dict[tuple[str, str], list[str]] = {}
    for action in sorted(set(actions)):
        resource = SCOPED[action](partition, bucket) if action in SCOPED else "*"
        groups.setdefault((action.split(":")[0], resource), []).append(action)
    out = []
    for (service, resource), acts in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] != "*", kv[0][1])):
        sid = SIDS.get(service, service.capitalize())
        if resource != "*" and any(s["Sid"] == sid for s in out):
            sid += "Scoped" if service != "s3" else "Objects"
        out.append({"Sid": sid, "Effect": "Allow", "Action": acts, "Resource": resource})
    return out


def caller_policy(needs: list[Need], *, partition: str = "aws", role_name: str = DEFAULT_ROLE,
                  delegated: bool = False, trail_bucket: str | None = None) -> dict:
    """The identity policy of whoever runs the commands: the management account's, or (``delegated``) a
    delegated administrator's for IAM, which does without what only the management account calls."""
    actions = [a for n in needs for a in n.caller if not (delegated and a in n.management_only)]
    statements = _grouped(actions, partition, trail_bucket)
    tasks = sorted({t for n in needs for t in n.tasks})
    if tasks:
        statements.append({"Sid": "AssumeRootForTheseTasksOnly", "Effect": "Allow", "Action": "sts:AssumeRoot",
                           "Resource": f"arn:{partition}:iam::*:root",
                           "Condition": {"StringEquals": {"sts:TaskPolicyArn": [
                               f"arn:{partition}:iam::aws:policy/root-task/{t}" for t in tasks]}}})
    if any(n.role for n in needs):
        statements.append({"Sid": "AssumeTheAuditRole", "Effect": "Allow", "Action": "sts:AssumeRole",
                           "Resource": f"arn:{partition}:iam::*:role/{role_name}"})
    return {"Version": "2012-10-17", "Statement": statements}


def role_policy(needs: list[Need]) -> dict:
    return {"Version": "2012-10-17", "Statement": [
        {**s, "Sid": "ReadRootUserSummary"} for s in _grouped([a for n in needs for a in n.role])]}


def trust_policy(auditor_accounts: list[str], partition: str = "aws") -> dict:
    """Who may assume the audit role: the accounts that run the audit (the management account, a delegated
    administrator); their own policies then say which of their principals may."""
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "TheAuditingAccounts", "Effect": "Allow", "Action": "sts:AssumeRole",
         "Principal": {"AWS": [f"arn:{partition}:iam::{a}:root" for a in auditor_accounts]}}]}


def chosen(purposes: list[str]) -> list[Need]:
    unknown = [p for p in purposes if p not in NEEDS]
    if unknown:
        raise InputError(f"--for {unknown[0]!r} is not a command set: choose from {', '.join(NEEDS)}")
    return [NEEDS[p] for p in (purposes or list(NEEDS))]


def check_bucket(name: str | None) -> None:
    if name is not None and not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", name):
        raise InputError(f"--trail-bucket {name!r} is not an S3 bucket name")


def check_role_name(name: str) -> None:
    if not ROLE_NAME.fullmatch(name):
        raise InputError(f"--role-name {name!r} is not an IAM role name (1-64 of letters, digits and +=,.@_-)")


def documents(needs: list[Need], *, partition: str = "aws", role_name: str = DEFAULT_ROLE,
              auditor_accounts: list[str] | None = None, trail_bucket: str | None = None) -> list[dict]:
    """Every policy the chosen commands need, each with whom it is for."""
    out = [{"principal": "management-account",
            "attach_to": "the principal that runs rootkeeper in the management account",
            "policy": caller_policy(needs, partition=partition, role_name=role_name, trail_bucket=trail_bucket)}]
    delegable = [n for n in needs if n.delegable]
    if delegable:
        out.append({"principal": "delegated-administrator",
                    "attach_to": "the principal that runs rootkeeper in the delegated administrator account for IAM",
                    "policy": caller_policy(delegable, partition=partition, role_name=role_name, delegated=True,
                                            trail_bucket=trail_bucket)})
    if any(n.role for n in needs):
        out.append({"principal": "audit-role", "attach_to": f"the role {role_name} in every member account (the "
                                                            "StackSet template deploys it)",
                    "policy": role_policy(needs),
                    "trust_policy": trust_policy(auditor_accounts or ["AUDITOR_ACCOUNT_ID"], partition)})
    return out


def stackset_template(role_name: str = DEFAULT_ROLE) -> dict:
    """A CloudFormation template for a service-managed StackSet: the audit role in every member account."""
    return {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "rootkeeper: the read-only audit role 'org audit --via role:NAME' assumes in each member account",
        "Parameters": {
            "AuditorAccountId": {"Type": "String", "AllowedPattern": "^[0-9]{12}$",
                                 "Description": "The account that runs the audit (the management account, or the "
                                                "delegated administrator for IAM)"},
            "RoleName": {"Type": "String", "Default": role_name, "AllowedPattern": "^[\\w+=,.@-]{1,64}$",
                         "Description": "The role's name: give it to 'org audit --via role:NAME'"},
        },
        "Resources": {
            "AuditRole": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "RoleName": {"Ref": "RoleName"},
                    "Description": "Read the root user's summary and virtual MFA devices for rootkeeper's audit",
                    "MaxSessionDuration": 3600,
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": "sts:AssumeRole",
                         "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AuditorAccountId}:root"}}}]},
                    "Policies": [{"PolicyName": "rootkeeper-audit", "PolicyDocument": role_policy([NEEDS["audit"]])}],
                },
            },
        },
        "Outputs": {"AuditRoleArn": {"Description": "The audit role's ARN", "Value": {"Fn::GetAtt": ["AuditRole", "Arn"]}}},
    }
