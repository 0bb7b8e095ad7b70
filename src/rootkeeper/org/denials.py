"""Why AWS said no, and what to do: a pure rule over AWS's error code and message.

AWS answers many different refusals with the same code (AccessDenied); its message tells them
apart. The texts matched here are AWS's own (IAM User Guide, "Troubleshoot access denied error
messages"; the centralized-root-access features' refusals as published captures show them):

- a feature of centralized root access is off ("Root credentials management feature is not
  enabled for your AWS Organization", "Root sessions feature ...");
- a service control policy or resource control policy denies it ("... with an explicit deny in
  a service control policy"), which applies inside root sessions too;
- the caller's own IAM policy does not allow it ("because no identity-based policy allows ..."
  or "with an explicit deny in an identity-based policy"): for AssumeRoot that includes an
  ``sts:TaskPolicyArn`` condition that does not name the task policy;
- the caller is not the management account or a delegated administrator for IAM
  (``AccountNotManagementOrDelegatedAdministratorException``), or enables a feature from a
  delegated administrator (``CallerIsNotManagementAccountException``).
"""

from __future__ import annotations

ENABLE = "'rootkeeper org enable-central-root' (with the management account's credentials)"
PROPAGATION = "if it was turned on in the last few minutes, AWS may not have applied it everywhere yet: re-run shortly"

_BY_CODE = {
    "AccountNotManagementOrDelegatedAdministratorException":
        "these credentials are neither the management account's nor a delegated administrator's for IAM: use "
        "the management account's credentials, or register a delegated administrator for iam.amazonaws.com",
    "CallerIsNotManagementAccountException":
        "a delegated administrator may audit, delete and disable, but only the management account may enable "
        "centralized root access: run 'rootkeeper org enable-central-root' with the management account's credentials",
    "ServiceAccessNotEnabledException":
        "trusted access for iam.amazonaws.com is off: run " + ENABLE + "; " + PROPAGATION,
    "RegionDisabledException":
        "STS is not enabled in this region for the account (an opt-in region): enable the region, or pass "
        "--region with an enabled one (such as us-east-1)",
    "OrganizationNotInAllFeaturesModeException":
        "the organization does not have all features enabled: enable them in AWS Organizations first",
}


def explain(code: str, message: str, *, doing: str = "") -> str | None:
    """The cause and the fix for an AWS refusal, or None when this rule has nothing better to say.

    ``doing`` is the call that was refused (``sts:AssumeRoot``, or an IAM call inside a root
    session): it tells a denial of the session from a denial of what was done in it.
    """
    if code in _BY_CODE:
        return _BY_CODE[code]
    if code not in ("AccessDenied", "AccessDeniedException"):
        return None
    text = message.lower()
    if "root credentials management feature is not enabled" in text:
        return "RootCredentialsManagement is off for the organization (it gates the IAM root tasks): run " + ENABLE + \
            "; " + PROPAGATION
    if "root sessions feature is not enabled" in text:
        return "RootSessions is off for the organization (it gates the S3 and SQS unlock tasks): run " + ENABLE + \
            "; " + PROPAGATION
    if "explicit deny in a service control policy" in text:
        return ("a service control policy denies it, and SCPs apply to root sessions too: find the SCP on the "
                "account or its OUs that denies this action for the root principal, and exempt the task")
    if "explicit deny in a resource control policy" in text:
        return "a resource control policy denies it: find the RCP on the account or its OUs and exempt the task"
    if "explicit deny in an identity-based policy" in text or "no identity-based policy allows" in text:
        if "sts:assumeroot" in text:
            return ("the caller's IAM policy does not allow sts:AssumeRoot with this task policy: allow it (an "
                    "sts:TaskPolicyArn condition must name the task policy), or use other credentials")
        return "the caller's IAM policy does not allow it: allow the action, or use other credentials"
    if "cannot be called with root credentials" in text:
        return "AssumeRoot cannot be called with root credentials: use an IAM role or user of the management account"
    if doing == "sts:AssumeRoot":
        return ("AssumeRoot was refused and AWS gave no reason this tool knows: check that these are the management "
                "account's (or IAM delegated administrator's) credentials, that the account is an active member, and "
                "that RootCredentialsManagement is on (" + ENABLE + "); or audit --via role:NAME")
    return None
