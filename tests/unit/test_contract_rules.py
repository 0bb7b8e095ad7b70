"""The simulator's contract check can fail: each kind of break of botocore's model is caught."""

from __future__ import annotations

import json

from rootkeeper.sim.contract import DOCUMENTED_OMISSIONS, check_answer, retired_members, service_model

IAM_NS = 'xmlns="https://iam.amazonaws.com/doc/2010-05-08/"'


def iam_ok(action: str, result: str) -> bytes:
    return (f"<{action}Response {IAM_NS}><{action}Result>{result}</{action}Result>"
            f"<ResponseMetadata><RequestId>x</RequestId></ResponseMetadata></{action}Response>").encode()


ACCOUNT = {"Id": "111122223333", "Arn": "arn:aws:organizations::123456789012:account/o-abcdefghij/111122223333",
           "Email": "a@example.com", "Name": "a", "State": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": 1.7e9}


def test_a_valid_answer_passes():
    assert check_answer("organizations", "DescribeAccount", 200, json.dumps({"Account": ACCOUNT}).encode()) == []
    assert check_answer("iam", "GetLoginProfile", 200, iam_ok(
        "GetLoginProfile", "<LoginProfile><CreateDate>2026-01-01T00:00:00Z</CreateDate>"
                           "<PasswordResetRequired>false</PasswordResetRequired></LoginProfile>")) == []


def test_an_invented_member_fails_in_json_and_in_xml():
    problems = check_answer("organizations", "DescribeAccount", 200,
                            json.dumps({"Account": {**ACCOUNT, "Colour": "blue"}}).encode())
    assert any("Colour" in p for p in problems)
    problems = check_answer("iam", "GetAccountSummary", 200, iam_ok(
        "GetAccountSummary", "<SummaryMap></SummaryMap><Extra>1</Extra>"))
    assert any("Extra" in p for p in problems)


def test_a_wrong_type_a_missing_required_member_and_an_unknown_enum_value_fail():
    assert check_answer("organizations", "DescribeAccount", 200,
                        json.dumps({"Account": {**ACCOUNT, "JoinedTimestamp": "yesterday"}}).encode())
    missing = check_answer("sts", "AssumeRoot", 200, (
        b'<AssumeRootResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRootResult><Credentials>'
        b"<AccessKeyId>ASIAAAAAAAAAAAAAAAAA</AccessKeyId></Credentials></AssumeRootResult></AssumeRootResponse>"))
    assert any("SecretAccessKey" in p for p in missing)
    assert any("ACTIVATED" in p for p in check_answer(
        "organizations", "DescribeAccount", 200, json.dumps({"Account": {**ACCOUNT, "State": "ACTIVATED"}}).encode()))


def test_an_undeclared_error_code_fails_and_a_declared_or_common_one_passes():
    body = json.dumps({"__type": "AccountMissingException", "Message": "no"}).encode()
    assert check_answer("organizations", "DescribeAccount", 400, body)
    for code in ("AccountNotFoundException", "TooManyRequestsException", "AccessDeniedException"):
        assert check_answer("organizations", "DescribeAccount", 400,
                            json.dumps({"__type": code, "Message": "no"}).encode()) == []


def test_only_documented_omissions_are_excused():
    no_user = iam_ok("GetUser", "<User><UserId>111122223333</UserId><Arn>arn:aws:iam::111122223333:root</Arn>"
                                "<CreateDate>2026-01-01T00:00:00Z</CreateDate></User>")
    assert check_answer("iam", "GetUser", 200, no_user) == []
    # The same omission in another operation is not excused.
    assert check_answer("iam", "ListUsers", 200, iam_ok("ListUsers", "<Users><member><UserId>AIDAAAAAAAAAAAAAAAAAA</UserId>"
                        "<Arn>arn:aws:iam::111122223333:user/x</Arn><CreateDate>2026-01-01T00:00:00Z</CreateDate>"
                        "</member></Users><IsTruncated>false</IsTruncated>"))
    for (service, operation, _path), source in DOCUMENTED_OMISSIONS.items():
        assert source and service_model(service).operation_model(operation)


def test_the_models_retire_account_status():
    retired = retired_members("organizations")
    assert ("Account", "Status") in retired and "September 9, 2026" in retired[("Account", "Status")]
    assert ("Account", "State") not in retired and ("DescribeAccountResponse", "Account") not in retired
