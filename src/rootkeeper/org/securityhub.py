"""Findings sent to Security Hub CSPM: BatchImportFindings in batches of 100, each finding updated in place.

Every run sends every result under a stable ``Id`` (``rootkeeper/SOURCE/CHECK/RESOURCE``): a finding is
updated where it is, never duplicated. A passing result is sent archived (resolved). An earlier ACTIVE
finding of the same command that this run did not produce is archived too, but only after a run over the
whole organization (a run over named accounts knows nothing of the others).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import AwsError
from ..findings import asff
from ..findings.results import Run
from ..rules.rootuse import iso
from .aws import Aws, aws_errors

if TYPE_CHECKING:
    from ..workspace import Workspace


@dataclass
class Exported:
    product_arn: str
    account: str
    region: str
    imported: int = 0
    archived: int = 0  # earlier findings this run did not produce
    resolved: int = 0  # passing results, sent archived
    calls: int = 0
    failed: list[dict] = field(default_factory=list)  # BatchImportFindings' FailedFindings (Id, ErrorCode, ErrorMessage)


def _previous(hub, product: str, source: str) -> dict[str, dict]:
    """The ACTIVE findings this product holds for this command (filtered here as well: an answer is not trusted
    to have applied the filter)."""
    prefix = f"rootkeeper/{source}/"
    filters = {"ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
               "GeneratorId": [{"Value": prefix, "Comparison": "PREFIX"}],
               "RecordState": [{"Value": "ACTIVE", "Comparison": "EQUALS"}]}
    out, token = {}, None
    while True:
        with aws_errors("securityhub:GetFindings"):
            page = hub.get_findings(Filters=filters, MaxResults=100, **({"NextToken": token} if token else {}))
        for f in page.get("Findings", []):
            if (f.get("ProductArn") == product and str(f.get("GeneratorId", "")).startswith(prefix)
                    and f.get("RecordState", "ACTIVE") == "ACTIVE"):
                out[f["Id"]] = f
        token = page.get("NextToken")
        if not token:
            return out


def export(aws: Aws, run: Run, *, complete: bool, now: float) -> Exported:
    """Send ``run``'s results; ``complete``: the run covered everything its command can see (archive the rest)."""
    account = aws.caller_account()
    hub = aws.client("securityhub")
    product = asff.product_arn(aws.partition, aws.region, account)
    stamp = iso(now)
    previous = _previous(hub, product, run.source)
    findings = [asff.finding(r, account=account, partition=aws.partition, region=aws.region, now=stamp,
                             created=(previous.get(r.uid) or {}).get("CreatedAt")) for r in run.results]
    out = Exported(product, account, aws.region, resolved=sum(f["RecordState"] == "ARCHIVED" for f in findings))
    if complete:
        # Only a resource this run did not see at all is gone (an account that left the organization); an
        # account seen but not examined (unreachable, not active) keeps its earlier findings as they were.
        seen = {r.resource_id for r in run.results}
        gone = [asff.archived(p, stamp, f"not in the run of {stamp}: the resource is gone from what the command sees")
                for i, p in previous.items() if i.split("/", 3)[-1] not in seen]
        out.archived = len(gone)
        findings += gone
    for batch in asff.batches(findings):
        with aws_errors("securityhub:BatchImportFindings"):
            answer = hub.batch_import_findings(Findings=batch)
        out.calls += 1
        imported, failed = int(answer.get("SuccessCount") or 0), list(answer.get("FailedFindings") or [])
        unaccounted = len(batch) - imported - len(failed)
        if unaccounted > 0:  # an answer that does not account for every finding sent is no success
            failed.append({"Id": f"{unaccounted} of the call's {len(batch)}", "ErrorCode": "NotAcknowledged",
                           "ErrorMessage": "neither imported nor refused in Security Hub's answer"})
        out.imported += imported
        out.failed += failed
    return out


def send(ws: Workspace, aws: Aws, run: Run, *, complete: bool, now: float) -> Exported:
    """``export``, journaled: what was sent, resolved, archived and refused (refused findings are then an error)."""
    ws.journal_ready()  # before anything is sent: a change of Security Hub is never left unrecorded
    sent = export(aws, run, complete=complete, now=now)
    ws.record({"event": "org.security-hub-export", "source": run.source, "product_arn": sent.product_arn,
               "region": sent.region, "results": len(run.results), "imported": sent.imported,
               "resolved": sent.resolved, "archived": sent.archived, "failed": len(sent.failed), "calls": sent.calls})
    return sent


def check_sent(out: Exported) -> None:
    if out.failed:
        first = out.failed[0]
        raise AwsError(f"Security Hub refused {len(out.failed)} finding(s) ({first.get('ErrorCode')}: "
                       f"{first.get('ErrorMessage')}, finding {first.get('Id')}): the others were imported")
