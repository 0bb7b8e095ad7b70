"""org root-use --via athena: the query the product sends is run by a real SQL engine (DuckDB) over the same
simulated trail records, laid out as AWS's CloudTrail table for Athena; its rows come back through moto's
Athena, and the answer must be the S3 path's."""

from __future__ import annotations

import gzip
import json

import boto3
import pytest
from test_root_use import OPERATOR, as_json
from test_root_use import org as org  # noqa: F401 - the fixture

duckdb = pytest.importorskip("duckdb")

# AWS's CloudTrail table for Athena ("Querying AWS CloudTrail logs", manual partitioning): the columns the query
# reads, with useridentity a STRUCT and the request, response and additional data JSON strings (CloudTrail SerDe).
DDL = """
CREATE SCHEMA cloudtrail_db;
CREATE TABLE cloudtrail_db.org_trail (
  eventversion VARCHAR,
  useridentity STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR, accountid VARCHAR, invokedby VARCHAR,
                      accesskeyid VARCHAR, username VARCHAR,
                      sessioncontext STRUCT(attributes STRUCT(mfaauthenticated VARCHAR, creationdate VARCHAR),
                                            sessionissuer STRUCT(type VARCHAR, principalid VARCHAR, arn VARCHAR,
                                                                 accountid VARCHAR, username VARCHAR))),
  eventtime VARCHAR, eventsource VARCHAR, eventname VARCHAR, awsregion VARCHAR, sourceipaddress VARCHAR,
  useragent VARCHAR, errorcode VARCHAR, errormessage VARCHAR, requestparameters VARCHAR, responseelements VARCHAR,
  additionaleventdata VARCHAR, requestid VARCHAR, eventid VARCHAR, eventtype VARCHAR, recipientaccountid VARCHAR
);
-- Athena (Trino) names it json_extract_scalar; DuckDB's json extension, json_extract_string: same semantics.
CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p);
"""


def athena_row(r: dict) -> tuple:
    """A CloudTrail record as the CloudTrail SerDe presents it to Athena."""
    ui = r.get("userIdentity") or {}
    sc = ui.get("sessionContext") or {}
    identity = {"type": ui.get("type"), "principalid": ui.get("principalId"), "arn": ui.get("arn"),
                "accountid": ui.get("accountId"), "invokedby": ui.get("invokedBy"), "accesskeyid": ui.get("accessKeyId"),
                "username": ui.get("userName"),
                "sessioncontext": {"attributes": {"mfaauthenticated": (sc.get("attributes") or {}).get("mfaAuthenticated"),
                                                  "creationdate": (sc.get("attributes") or {}).get("creationDate")},
                                   "sessionissuer": {k.lower(): v for k, v in (sc.get("sessionIssuer") or {}).items()}
                                   | {k: None for k in ("type", "principalid", "arn", "accountid", "username")
                                      if k not in {x.lower() for x in (sc.get("sessionIssuer") or {})}}}}
    text = lambda v: None if v is None else json.dumps(v)  # noqa: E731
    return (r.get("eventVersion"), identity, r.get("eventTime"), r.get("eventSource"), r.get("eventName"),
            r.get("awsRegion"), r.get("sourceIPAddress"), r.get("userAgent"), r.get("errorCode"), r.get("errorMessage"),
            text(r.get("requestParameters")), text(r.get("responseElements")), text(r.get("additionalEventData")),
            r.get("requestID"), r.get("eventID"), r.get("eventType"), r.get("recipientAccountId"))


def trail_records(sim) -> list[dict]:
    s3 = boto3.client("s3", endpoint_url=sim.url, region_name="us-east-1", aws_access_key_id="AKIDMANAGEMENT",
                      aws_secret_access_key="testing")
    out = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket="rootkeeper-sim-org-trail"):
        for o in page.get("Contents", []):
            if "/CloudTrail/" in o["Key"]:
                body = s3.get_object(Bucket="rootkeeper-sim-org-trail", Key=o["Key"])["Body"].read()
                out += json.loads(gzip.decompress(body))["Records"]
    return out


def run_in_duckdb(records: list[dict], sql: str) -> tuple[list[str], list[tuple]]:
    con = duckdb.connect()
    con.execute(DDL)
    con.executemany("INSERT INTO cloudtrail_db.org_trail VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [athena_row(r) for r in records])
    cursor = con.execute(sql)
    return [d[0] for d in cursor.description], cursor.fetchall()


def as_athena_results(names: list[str], rows: list[tuple]) -> dict:
    """DuckDB's rows as Athena's GetQueryResults gives them: a header row, then every value a VarCharValue."""
    data = [{"Data": [{"VarCharValue": n} for n in names]}]
    data += [{"Data": [{} if v is None else {"VarCharValue": str(v)} for v in row]} for row in rows]
    return {"rows": data, "column_info": [{"Name": n, "Type": "varchar", "CatalogName": "hive", "SchemaName": "cloudtrail_db",
                                           "TableName": "org_trail", "Label": n} for n in names]}


def test_the_athena_query_run_by_a_real_sql_engine_gives_the_s3_paths_answer(org):  # noqa: F811
    from moto.athena.models import QueryResults, athena_backends

    from rootkeeper.org import athena

    sim, home = org.sim, org.home
    for name in ("explained", "unexplained", "tried"):
        org.account(name)
    sim.enable_trail()
    org.enroll("explained")
    org.enroll_password("tried")
    password = home.rk("password", org.ids["explained"], "--reason", "CHG-7", "--show", check=True).out.splitlines()[0]
    code = home.rk("code", org.ids["explained"], "--reason", "CHG-7", check=True).out.split()[0]
    assert sim.console_sign_in(org.ids["explained"], password, code)
    sim.console_set_password(org.ids["unexplained"], "set-by-hand-outside-rootkeeper")
    assert sim.console_sign_in(org.ids["unexplained"], "set-by-hand-outside-rootkeeper", None)
    assert not sim.console_sign_in(org.ids["tried"], "guess", None)
    org.rk("org", "audit")
    _c, by_s3, _e = as_json(org, "--since", "1h")
    since, until = by_s3["since"], by_s3["until"]
    from rootkeeper.org.rootuse import LEAD
    from rootkeeper.rules.rootuse import parse_time

    sql = athena.query("cloudtrail_db.org_trail", parse_time(since) - LEAD, parse_time(until))  # as the workflow asks
    names, rows = run_in_duckdb(trail_records(sim), sql)
    assert names == [alias for alias, _expr, _path in athena.COLUMNS]
    assert len(rows) >= 3 + 3  # three sign-ins, three AssumeRoot calls (and their sessions' calls)
    backend = athena_backends["123456789012"]["us-east-1"]
    backend.query_results_queue.append(QueryResults(**as_athena_results(names, rows)))
    code_, by_sql, err = as_json(org, "--since", since, "--until", until, "--via", "athena",
                                 "--athena-table", "cloudtrail_db.org_trail")
    assert code_ == 1, err
    [sent] = [e.query for e in backend.executions.values()]
    assert sent == sql  # the very text DuckDB ran
    assert by_sql["source"]["via"] == "athena" and by_sql["trail"] is None and by_sql["limits"]

    def answer(doc):
        return sorted((u["kind"], u["account_id"], u["success"], tuple(u["findings"]), u["calls"],
                       (u["explained_by"] or {}).get("seq")) for u in doc["uses"])

    assert answer(by_sql) == answer(by_s3)
    assert by_sql["summary"] == by_s3["summary"]
    sessions = [u for u in by_sql["uses"] if u["kind"] == "assume-root"]
    assert sessions and all(u["principal"] == OPERATOR for u in sessions)


def test_an_athena_table_name_is_never_spliced_into_the_query_unchecked(org):  # noqa: F811
    from conftest import assert_clean_failure

    org.account("member")
    for table in ("db.t; DROP TABLE x", 'db."t"', "a.b.c", ""):
        result = org.rk("org", "root-use", "--since", "1h", "--via", "athena", "--athena-table", table)
        assert_clean_failure(result, 2, "athena-table")
    assert_clean_failure(org.rk("org", "root-use", "--since", "1h", "--via", "athena"), 2, "needs --athena-table")
