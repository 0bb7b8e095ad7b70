"""The ``policies`` command: the IAM policies the org commands need, and the audit role's StackSet template."""

from __future__ import annotations

import click

from .common import CONTEXT, common, emit_json, note


@click.command(context_settings=CONTEXT)
@common
@click.option("--for", "purposes", multiple=True, metavar="COMMANDS",
              help="audit, delete, recovery, enable, root-use, security-hub or unlock (repeatable; default: all).")
@click.option("--role-name", default="rootkeeper-audit", show_default=True, metavar="NAME",
              help="The audit role 'org audit --via role:NAME' assumes.")
@click.option("--auditor-account", "auditors", multiple=True, metavar="ACCOUNT_ID",
              help="An account that runs the audit, trusted by the audit role (repeatable).")
@click.option("--trail-bucket", metavar="BUCKET", help="The organization trail's bucket: root-use's S3 reads limited "
                                                        "to it (default: any bucket).")
@click.option("--partition", type=click.Choice(["aws", "aws-us-gov", "aws-cn"]), default="aws", show_default=True,
              help="The partition the ARNs name.")
@click.option("--cloudformation", is_flag=True,
              help="Print the CloudFormation template that deploys the audit role (a service-managed StackSet) instead.")
def policies(purposes, role_name, auditors, trail_bucket, partition, cloudformation):
    """The IAM policy documents the org commands need, least privilege, as JSON (schema rootkeeper.policies/1).

    For each principal: the management account's (or a delegated administrator's for IAM) identity policy,
    with sts:AssumeRoot limited by sts:TaskPolicyArn to the root tasks the commands use; and the audit role's
    policy and trust policy for 'org audit --via role:NAME'. What a root session does is governed by AWS's task
    policy alone, so it is not here. Each list is what the commands call: the tests run every command against the
    simulated organization and fail on an action a policy lacks or one no command calls.

    \b
    Examples:
      rootkeeper policies --for audit --auditor-account 111122223333
      rootkeeper policies --for root-use --trail-bucket org-trail-logs > p.json
      rootkeeper policies --cloudformation > rootkeeper-audit-role.json

    Deploy the template as a service-managed StackSet (the README shows the aws command);
    its AuditorAccountId parameter is the account that runs the audit.
    """
    import json

    from ..errors import InputError
    from ..org import policies as p
    from ..rules.accounts import is_account_id

    p.check_role_name(role_name)
    p.check_bucket(trail_bucket)
    bad = [a for a in auditors if not is_account_id(a)]
    if bad:
        raise InputError(f"--auditor-account {bad[0]!r} is not a 12-digit account id")
    if cloudformation:
        if purposes:
            raise InputError("--cloudformation prints the audit role's template: leave out --for")
        click.echo(json.dumps(p.stackset_template(role_name), indent=2))
        return
    needs = p.chosen(list(purposes))
    emit_json("policies", {"partition": partition, "role_name": role_name,
                           "for": [{"purpose": n.purpose, "summary": n.summary, "commands": list(n.commands),
                                    "root_tasks": list(n.tasks)} for n in needs],
                           "policies": p.documents(needs, partition=partition, role_name=role_name,
                                                   auditor_accounts=list(auditors), trail_bucket=trail_bucket)})
    if any(n.role for n in needs) and not auditors:
        note("the audit role's trust policy names AUDITOR_ACCOUNT_ID: give --auditor-account (or deploy the "
             "StackSet template, --cloudformation, which asks for it)")
