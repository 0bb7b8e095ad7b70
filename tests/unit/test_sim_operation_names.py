"""The simulator names each request's operation from botocore's models (sim/contract.operation): checked here
against botocore's own serializer, which builds the very request an unmodified boto3 sends for an operation.
The policies' test relies on these names; a wrong one would hide an action a policy lacks."""

from __future__ import annotations

from urllib.parse import urlencode

import botocore.session
import pytest
from botocore.serialize import create_serializer

from rootkeeper.sim.contract import operation

CASES = {
    "s3": {"ListObjectsV2": {"Bucket": "trail", "Prefix": "AWSLogs/", "StartAfter": "AWSLogs/x"},
           "ListObjects": {"Bucket": "trail"}, "GetObject": {"Bucket": "trail", "Key": "AWSLogs/o-1/1/a.json.gz"},
           "HeadObject": {"Bucket": "trail", "Key": "k"}, "PutObject": {"Bucket": "trail", "Key": "k/ey"},
           "DeleteObject": {"Bucket": "trail", "Key": "k"}, "GetBucketPolicy": {"Bucket": "b"},
           "DeleteBucketPolicy": {"Bucket": "b"}, "PutBucketPolicy": {"Bucket": "b", "Policy": "{}"},
           "GetBucketAcl": {"Bucket": "b"}, "ListBuckets": {}, "DeleteBucket": {"Bucket": "b"},
           "GetBucketLocation": {"Bucket": "b"}},
    "securityhub": {"BatchImportFindings": {"Findings": []}, "GetFindings": {"MaxResults": 10},
                    "DescribeHub": {}, "EnableSecurityHub": {}, "BatchUpdateFindings": {"FindingIdentifiers": []},
                    "GetEnabledStandards": {}},
    "cloudtrail": {"DescribeTrails": {}, "ListPublicKeys": {}},
    "athena": {"StartQueryExecution": {"QueryString": "select 1"}, "GetQueryResults": {"QueryExecutionId": "q"}},
    "sqs": {"GetQueueAttributes": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q"},
            "SetQueueAttributes": {"QueueUrl": "https://sqs.us-east-1.amazonaws.com/1/q", "Attributes": {}}},
    "sns": {"Publish": {"TopicArn": "arn:aws:sns:us-east-1:1:t", "Message": "m"}},
}


def environ_of(service: str, name: str, params: dict) -> tuple[dict, bytes]:
    model = botocore.session.get_session().get_service_model(service)
    op = model.operation_model(name)
    request = create_serializer(model.metadata["protocol"], include_validation=False).serialize_to_request(params, op)
    path, _, inline = request["url_path"].partition("?")
    query = "&".join(q for q in (inline, urlencode(request["query_string"], doseq=True)) if q)
    body = request["body"] if isinstance(request["body"], bytes) else (
        urlencode(request["body"]).encode() if isinstance(request["body"], dict) else (request["body"] or "").encode())
    headers = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in request["headers"].items()}
    environ = {"REQUEST_METHOD": request["method"], "PATH_INFO": path, "QUERY_STRING": query,
               "CONTENT_TYPE": request["headers"].get("Content-Type", ""), **headers}
    return environ, body


@pytest.mark.parametrize("service,name", [(s, n) for s, ops in CASES.items() for n in ops])
def test_each_request_boto3_sends_is_named_its_operation(service, name):
    environ, body = environ_of(service, name, CASES[service][name])
    assert operation(service, environ, body) == name
