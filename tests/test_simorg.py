"""The simulated organization is itself an oracle: check it behaves as AWS documents, with plain boto3."""

from __future__ import annotations

import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from rootkeeper.rules import totp
from rootkeeper.sim.state import SimError

TASK = "arn:aws:iam::aws:policy/root-task/"


def client(sim, service, creds=None, **config):
    keys = ({"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
             "aws_session_token": creds["SessionToken"]} if creds else
            {"aws_access_key_id": "AKIDMANAGEMENT", "aws_secret_access_key": "x"})
    return boto3.session.Session(region_name="us-east-1", **keys).client(
        service, endpoint_url=sim.url, config=Config(retries={"mode": "standard", "total_max_attempts": 1}, **config))


def code_of(exc) -> str:
    return exc.value.response["Error"]["Code"]


@pytest.fixture
def org(sim):
    sim.create_organization()
    member = sim.add_account("member", "aws+member@example.com")
    return sim, member


def test_assume_root_needs_central_root_access_and_a_member(org):
    sim, member = org
    sts = client(sim, "sts")
    with pytest.raises(ClientError) as exc:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    assert code_of(exc) == "AccessDenied" and "Root credentials management feature is not enabled" in str(exc.value)
    with pytest.raises(ClientError) as exc:  # trusted access first, as in AWS
        client(sim, "iam").enable_organizations_root_sessions()
    assert code_of(exc) == "ServiceAccessNotEnabledException"
    client(sim, "organizations").enable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    iam = client(sim, "iam")
    # The IAM root tasks need RootCredentialsManagement only; RootSessions gates the S3 and SQS unlock tasks.
    iam.enable_organizations_root_credentials_management()
    sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    with pytest.raises(ClientError) as exc:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "S3UnlockBucketPolicy"})
    assert code_of(exc) == "AccessDenied" and "Root sessions feature is not enabled" in str(exc.value)
    assert set(iam.enable_organizations_root_sessions()["EnabledFeatures"]) == {"RootSessions", "RootCredentialsManagement"}
    sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "S3UnlockBucketPolicy"})
    assert set(iam.list_organizations_features()["EnabledFeatures"]) == {"RootSessions", "RootCredentialsManagement"}
    for target in ("123456789012", "999999999999"):  # not the management account, not a stranger
        with pytest.raises(ClientError) as exc:
            sts.assume_root(TargetPrincipal=target, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
        assert code_of(exc) == "AccessDenied"
    with pytest.raises(ClientError) as exc:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"},
                        DurationSeconds=3600)
    assert code_of(exc) == "ValidationError"
    creds = sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})[
        "Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    assert client(sim, "sts", creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{member}:root"
    with pytest.raises(ClientError) as exc:  # AssumeRoot is not callable with root credentials
        client(sim, "sts", creds).assume_root(TargetPrincipal=member,
                                              TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    assert code_of(exc) == "AccessDenied"


def test_task_policies_are_enforced(org):
    sim, member = org
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    sim.console_set_password(member, "Some-password-1")
    sts = client(sim, "sts")
    audit = client(sim, "iam", sts.assume_root(TargetPrincipal=member,
                                               TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})["Credentials"])
    assert audit.get_account_summary()["SummaryMap"]["AccountPasswordPresent"] == 1
    assert audit.get_login_profile()["LoginProfile"]["PasswordResetRequired"] is False
    for call in (audit.delete_login_profile, audit.create_login_profile, audit.list_users):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == "AccessDenied"
    delete = client(sim, "iam", sts.assume_root(TargetPrincipal=member,
                                                TaskPolicyArn={"arn": TASK + "IAMDeleteRootUserCredentials"})["Credentials"])
    with pytest.raises(ClientError) as exc:
        delete.get_account_summary()
    assert code_of(exc) == "AccessDenied"
    delete.delete_login_profile()
    with pytest.raises(ClientError) as exc:
        delete.get_login_profile()
    assert code_of(exc) == "NoSuchEntity"
    recover = client(sim, "iam", sts.assume_root(TargetPrincipal=member,
                                                 TaskPolicyArn={"arn": TASK + "IAMCreateRootUserPassword"})["Credentials"])
    created = recover.create_login_profile()["LoginProfile"]  # AWS's answer in a root session: no UserName,
    assert created["PasswordResetRequired"] is False and "UserName" not in created  # and PasswordResetRequired false
    with pytest.raises(ClientError) as exc:
        recover.create_login_profile()
    assert code_of(exc) == "EntityAlreadyExists"


def test_console_checks_the_two_codes_against_the_seed(org):
    sim, member = org
    serial, seed = sim.console_create_virtual_mfa(member, "root-mfa")
    assert len(seed) == 64
    now = time.time()
    with pytest.raises(SimError):
        sim.console_enable_mfa(member, serial, "123456", "654321")
    with pytest.raises(SimError):  # the right codes in the wrong order
        sim.console_enable_mfa(member, serial, totp.code(seed, now + 30), totp.code(seed, now))
    assert not sim.root(member).mfa
    sim.console_enable_mfa(member, serial, totp.code(seed, now), totp.code(seed, now + 30))
    assert [d.serial for d in sim.root(member).mfa] == [serial]


def test_per_account_faults(org):
    sim, member = org
    other = sim.add_account("other", "aws+other@example.com")
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    sim.fault(member).throttle = 1
    sim.fault(other).latency = 0.3
    sts = client(sim, "sts")
    with pytest.raises(ClientError) as exc:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    assert code_of(exc) == "Throttling" and exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    start = time.perf_counter()
    sts.assume_root(TargetPrincipal=other, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    assert time.perf_counter() - start >= 0.3
    sim.fault(member).deny = True
    with pytest.raises(ClientError) as exc:
        sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": TASK + "IAMAuditRootUserCredentials"})
    assert code_of(exc) == "AccessDenied"


def test_list_accounts_pages_like_aws(org):
    sim, _member = org
    for i in range(44):
        sim.add_account(f"a-{i}", f"aws+a-{i}@example.com")
    pages = list(client(sim, "organizations").get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 20}))
    ids = [a["Id"] for p in pages for a in p["Accounts"]]
    assert len(pages) == 3 and len(ids) == len(set(ids)) == 46 and set(ids) == set(sim.accounts())


def test_root_long_term_credentials_listed_and_deleted_as_aws_answers(org):
    sim, member = org
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    key, cert = sim.plant_access_key(member), sim.plant_certificate(member)
    creds = client(sim, "sts").assume_root(TargetPrincipal=member, TaskPolicyArn={
        "arn": TASK + "IAMDeleteRootUserCredentials"})["Credentials"]
    iam = client(sim, "iam", creds)
    (listed_key,) = iam.list_access_keys()["AccessKeyMetadata"]
    (listed_cert,) = iam.list_signing_certificates()["Certificates"]
    assert (listed_key["AccessKeyId"], listed_key["Status"]) == (key, "Active")
    assert (listed_cert["CertificateId"], listed_cert["Status"]) == (cert, "Active") and listed_cert["UploadDate"]
    iam.delete_access_key(AccessKeyId=key)
    iam.delete_signing_certificate(CertificateId=cert)
    assert iam.list_access_keys()["AccessKeyMetadata"] == [] and iam.list_signing_certificates()["Certificates"] == []
    for call, args in ((iam.delete_access_key, {"AccessKeyId": key}), (iam.delete_signing_certificate, {"CertificateId": cert})):
        with pytest.raises(ClientError) as exc:
            call(**args)
        assert code_of(exc) == "NoSuchEntity"
