"""org root-use --via athena: the same question as SQL, run by Athena over the team's CloudTrail table.

For a trail too large to read object by object, the query selects only root's rows of the window (root's own
events and AssumeRoot calls) and only the columns the rule needs; Athena scans the table, and only its rows come
back here, rebuilt into CloudTrail records for the one rule (``rules/rootuse.classify``).

The table is the one AWS documents for CloudTrail logs ("Querying AWS CloudTrail logs": ``useridentity`` a
STRUCT, ``requestparameters``, ``responseelements`` and ``additionaleventdata`` JSON strings, ``eventtime`` an ISO
8601 string). That table has no ``sessioncontext.assumedroot``: a root session's calls are tied to their
AssumeRoot by its access key, and calls whose AssumeRoot is outside the window are root calls, unexplained.
What the SQL path cannot see: the log files themselves (a deleted or altered file is not in the table's rows the
way a digest shows it), said in every report it makes.
"""

from __future__ import annotations

import re
import time

from ..errors import AwsError, InputError
from ..rules.rootuse import TrailEvent, classify, iso
from .aws import Aws, aws_errors

# (column alias, SQL expression over AWS's CloudTrail table, where it goes in a CloudTrail record)
COLUMNS = [
    ("eventtime", "eventtime", ("eventTime",)),
    ("eventname", "eventname", ("eventName",)),
    ("eventsource", "eventsource", ("eventSource",)),
    ("awsregion", "awsregion", ("awsRegion",)),
    ("sourceipaddress", "sourceipaddress", ("sourceIPAddress",)),
    ("errorcode", "errorcode", ("errorCode",)),
    ("errormessage", "errormessage", ("errorMessage",)),
    ("recipientaccountid", "recipientaccountid", ("recipientAccountId",)),
    ("eventid", "eventid", ("eventID",)),
    ("identity_type", "useridentity.type", ("userIdentity", "type")),
    ("identity_account", "useridentity.accountid", ("userIdentity", "accountId")),
    ("identity_arn", "useridentity.arn", ("userIdentity", "arn")),
    ("access_key", "useridentity.accesskeyid", ("userIdentity", "accessKeyId")),
    ("issuer_arn", "useridentity.sessioncontext.sessionissuer.arn", ("userIdentity", "sessionContext", "sessionIssuer", "arn")),
    ("mfa_authenticated", "useridentity.sessioncontext.attributes.mfaauthenticated",
     ("userIdentity", "sessionContext", "attributes", "mfaAuthenticated")),
    ("console_login", "json_extract_scalar(responseelements, '$.ConsoleLogin')", ("responseElements", "ConsoleLogin")),
    ("mfa_used", "json_extract_scalar(additionaleventdata, '$.MFAUsed')", ("additionalEventData", "MFAUsed")),
    ("target_principal", "json_extract_scalar(requestparameters, '$.targetPrincipal')",
     ("requestParameters", "targetPrincipal")),
    ("task_policy_arn", "json_extract_scalar(requestparameters, '$.taskPolicyArn.arn')",
     ("requestParameters", "taskPolicyArn", "arn")),
    ("session_key", "json_extract_scalar(responseelements, '$.credentials.accessKeyId')",
     ("responseElements", "credentials", "accessKeyId")),
]
_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?")
LIMITS = ("the log files themselves: a deleted or altered log file is not seen through the table (the S3 path checks "
          "each against its digest)",
          "accounts without root rows cannot be told from accounts the trail does not cover (TRAIL_SILENT needs the S3 "
          "path)")


def check_table(table: str) -> None:
    if not _TABLE.fullmatch(table or ""):
        raise InputError(f"--athena-table {table!r} is not DATABASE.TABLE (letters, digits, underscores): give the "
                         "CloudTrail table's name as Athena shows it")


def query(table: str, since: float, until: float, accounts: list[str] | None = None) -> str:
    """The SQL: root's rows of [since, until] (ISO strings compare as times), the named accounts' only."""
    check_table(table)
    quoted = ".".join(f'"{part}"' for part in table.split("."))
    select = ",\n  ".join(f"{expr} AS {alias}" for alias, expr, _path in COLUMNS)
    where = [f"eventtime >= '{iso(since)}'", f"eventtime <= '{iso(until)}'",
             "(useridentity.type = 'Root' OR (eventname = 'AssumeRoot' AND eventsource = 'sts.amazonaws.com'))"]
    if accounts:
        if not all(re.fullmatch(r"[0-9]{12}", a) for a in accounts):
            raise InputError("account ids are 12 digits")
        listed = ", ".join(f"'{a}'" for a in sorted(set(accounts)))
        where.append(f"(recipientaccountid IN ({listed}) OR eventname = 'AssumeRoot')")
    # Every value spliced in is checked: the table by _TABLE, times formatted here, account ids 12 digits.
    return f"SELECT\n  {select}\nFROM {quoted}\nWHERE " + "\n  AND ".join(where) + "\nORDER BY eventtime"  # nosec B608


def record(row: dict[str, str | None]) -> dict:
    """A result row, rebuilt as the CloudTrail record it came from (the members the rule reads)."""
    out: dict = {}
    for alias, _expr, path in COLUMNS:
        value = row.get(alias)
        if value is None or value == "":
            continue
        target = out
        for key in path[:-1]:
            target = target.setdefault(key, {})
        target[path[-1]] = value
    return out


def events(rows: list[dict[str, str | None]]) -> list[TrailEvent]:
    return [e for e in (classify(record(r)) for r in rows) if e is not None]


def run(aws: Aws, table: str, workgroup: str, output: str | None, sql: str, timeout: float = 900.0) -> tuple[list[dict], dict]:
    """Run ``sql`` in Athena; (its rows as dicts of strings, what it examined)."""
    athena = aws.client("athena")
    params = {"QueryString": sql, "WorkGroup": workgroup}
    if output:
        params["ResultConfiguration"] = {"OutputLocation": output}
    with aws_errors("athena:StartQueryExecution"):
        execution_id = athena.start_query_execution(**params)["QueryExecutionId"]
    deadline, delay = time.monotonic() + timeout, 0.5
    while True:
        with aws_errors("athena:GetQueryExecution"):
            execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        state = execution.get("Status", {}).get("State")
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            why = execution.get("Status", {}).get("StateChangeReason") or state
            raise AwsError(f"the Athena query {execution_id} {state.lower()}: {why}", "AthenaQueryFailed", why,
                           "athena:GetQueryExecution")
        if time.monotonic() > deadline:
            raise AwsError(f"the Athena query {execution_id} did not finish in {timeout:g} s: it may still be running "
                           "(stop it in the console), or narrow the window", "AthenaQueryTimeout")
        time.sleep(delay)
        delay = min(delay * 2, 5.0)
    rows: list[dict] = []
    header: list[str] | None = None
    with aws_errors("athena:GetQueryResults"):
        for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution_id):
            names = [c.get("Name") or c.get("Label") for c in page["ResultSet"].get("ResultSetMetadata", {}).get("ColumnInfo", [])]
            for raw in page["ResultSet"].get("Rows", []):
                values = [d.get("VarCharValue") for d in raw.get("Data", [])]
                if header is None:  # Athena's first row is the column names
                    header = names or values
                    if values == header:
                        continue
                rows.append(dict(zip(header, values, strict=False)))
    stats = execution.get("Statistics", {})
    return rows, {"query_execution_id": execution_id, "rows": len(rows),
                  "data_scanned_bytes": int(stats.get("DataScannedInBytes") or 0), "table": table,
                  "workgroup": workgroup}
