"""Why AWS refused: each kind of refusal AWS answers with AccessDenied is told apart by its message."""

from __future__ import annotations

import pytest

from rootkeeper.org.denials import explain

ROOT = "arn:aws:iam::111122223333:root"


@pytest.mark.parametrize(("code", "message", "doing", "expected", "not_expected"), [
    ("AccessDenied", "Root credentials management feature is not enabled for your AWS Organization", "sts:AssumeRoot",
     "RootCredentialsManagement is off", "RootSessions"),
    ("AccessDenied", "Root sessions feature is not enabled for your AWS Organization", "sts:AssumeRoot",
     "RootSessions is off", "RootCredentialsManagement"),
    ("AccessDenied", f"User: {ROOT} is not authorized to perform: iam:GetAccountSummary on resource: {ROOT} with an "
     "explicit deny in a service control policy", "reading the root user", "service control policy denies it",
     "enable-central-root"),
    ("AccessDenied", f"User: {ROOT} is not authorized to perform: iam:ListAccessKeys on resource: {ROOT} with an "
     "explicit deny in a resource control policy", "reading the root user", "resource control policy", "enable"),
    ("AccessDenied", "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: sts:AssumeRoot on resource: "
     f"{ROOT} because no identity-based policy allows the sts:AssumeRoot action", "sts:AssumeRoot",
     "sts:TaskPolicyArn condition", "enable-central-root"),
    ("AccessDenied", "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: sts:AssumeRoot on resource: "
     f"{ROOT} with an explicit deny in an identity-based policy", "sts:AssumeRoot", "caller's IAM policy", "SCP"),
    ("AccountNotManagementOrDelegatedAdministratorException", "", "iam:ListOrganizationsFeatures",
     "neither the management account's nor a delegated administrator's", "enable"),
    ("CallerIsNotManagementAccountException", "", "iam:EnableOrganizationsRootSessions",
     "only the management account may enable", "SCP"),
    ("RegionDisabledException", "STS is not activated in region ap-east-1", "sts:GetCallerIdentity", "opt-in region", "SCP"),
    ("AccessDenied", "something AWS may say one day", "sts:AssumeRoot", "gave no reason this tool knows", "SCP"),
])
def test_each_refusal_is_told_apart(code, message, doing, expected, not_expected):
    hint = explain(code, message, doing=doing)
    assert expected in hint and not_expected not in hint


def test_unknown_refusals_outside_assume_root_add_nothing():
    assert explain("AccessDenied", "something else", doing="iam:ListAccessKeys") is None
    assert explain("Throttling", "Rate exceeded") is None
