"""The AWS Organization: its accounts, the root-credential audit, reconciliation with custody,
and acting through centralized root access (``sts:AssumeRoot``).

- ``aws``: the boto3 session (imported lazily, by this package alone), per-thread clients,
  and ``aws_errors``, the one place where AWS failures become ``AwsError``;
- ``accounts``: listing (every page, the OU tree) and ACCOUNT arguments;
- ``audit``: the verdict rule and the concurrent auditor;
- ``rootops``: delete-root, allow-recovery and enable-central-root as whole workflows;
- ``reconcile``: the organization against custody (pure).
"""
