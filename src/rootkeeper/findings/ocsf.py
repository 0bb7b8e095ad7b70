"""Results as OCSF Compliance Findings (class 2003), built with py-ocsf-models (Prowler's library).

The one module that imports ``py_ocsf_models`` (lazily: only ``--format ocsf`` pays for pydantic).
The OCSF version is the library's (``OCSF_VERSION``), pinned by its version range in pyproject.toml and
stated in every finding's ``metadata.version``. Times are OCSF timestamps: milliseconds since the epoch.
"""

from __future__ import annotations

from datetime import UTC, datetime

from .. import __version__
from ..errors import ConfigError
from .results import Result, Run, json_array

SEVERITY_ID = {"informational": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}
# OCSF compliance status_id: 0 Unknown, 1 Pass, 2 Warning, 3 Fail.
COMPLIANCE_STATUS_ID = {"unknown": 0, "pass": 1, "warning": 2, "fail": 3}


def version() -> str:
    try:
        from py_ocsf_models import OCSF_VERSION
    except ImportError:
        raise ConfigError("--format ocsf needs py-ocsf-models: pip install 'rootkeeper[findings]'") from None
    return OCSF_VERSION


def finding(result: Result, run: Run, moment: datetime, shared: dict | None = None):
    """One Compliance Finding (a py-ocsf-models object: the library checks every member's type). ``shared``
    caches the parts many findings have in common (the product, a check's compliance object), which pydantic
    then does not check again."""
    from py_ocsf_models.events.findings.activity_id import ActivityID
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
    from py_ocsf_models.events.findings.compliance_finding_type_id import ComplianceFindingTypeID
    from py_ocsf_models.events.findings.severity_id import SeverityID
    from py_ocsf_models.events.findings.status_id import StatusID
    from py_ocsf_models.objects.finding_info import FindingInformation
    from py_ocsf_models.objects.metadata import Metadata
    from py_ocsf_models.objects.product import Product
    from py_ocsf_models.objects.remediation import Remediation
    from py_ocsf_models.objects.resource_details import ResourceDetails

    shared = {} if shared is None else shared
    if "product" not in shared:
        shared["product"] = Product(name="rootkeeper", vendor_name="rootkeeper", version=__version__)
    key = (result.check, result.status)
    if key not in shared:
        shared[key] = _compliance(result)
    millis = int(moment.timestamp() * 1000)
    data = {"account_id": result.account_id, **result.details} if result.account_id else dict(result.details)
    return ComplianceFinding(
        activity_id=ActivityID.Create, activity_name="Create", type_uid=ComplianceFindingTypeID.Create,
        type_name="Compliance Finding: Create",
        severity_id=SeverityID(SEVERITY_ID[result.severity]), severity=result.severity.capitalize(),
        status_id=StatusID.New, status="New", status_code=result.verdict, message=result.message,
        time=millis, time_dt=moment,
        metadata=Metadata(product=shared["product"], event_code=result.check, version=version(),
                          uid=f"{result.uid}@{run.at}"),
        finding_info=FindingInformation(uid=result.uid, title=result.title, desc=result.message,
                                        types=[run.source, result.check], created_time=millis,
                                        created_time_dt=moment),
        compliance=shared[key].model_copy(update={"desc": result.message}),
        remediation=Remediation(desc=result.remediation) if result.remediation else None,
        resources=[ResourceDetails(uid=result.resource_id, name=result.resource_name or None,
                                   type={"account": "AwsAccount"}.get(result.resource_type, result.resource_type),
                                   data=data or None)],
    )


def _compliance(result: Result):
    """The compliance object of a check with a status: the controls it answers, each with that status."""
    from py_ocsf_models.objects.check import Check
    from py_ocsf_models.objects.compliance import Compliance
    from py_ocsf_models.objects.compliance_status import StatusID as ComplianceStatusID

    status = ComplianceStatusID(COMPLIANCE_STATUS_ID[result.status])
    controls = result.controls
    return Compliance(
        control=result.title, status_id=status,
        requirements=[c.requirement for c in controls] or None,
        standards=sorted({f"{c.standard} v{c.version}" if c.version else c.standard for c in controls}) or None,
        checks=[Check(uid=c.id, name=c.title, version=c.version or None,
                      standards=[f"{c.standard} v{c.version}" if c.version else c.standard],
                      status=result.status.capitalize(), status_id=status) for c in controls] or None)


def document(run: Run) -> str:
    """Every result of the run as a JSON array of Compliance Findings (the form Prowler writes), one a line."""
    moment = datetime.fromisoformat(run.at.replace("Z", "+00:00")).astimezone(UTC)
    version()  # the library is there, or one clear error
    shared: dict = {}
    return json_array([finding(r, run, moment, shared).model_dump(mode="json", exclude_none=True)
                       for r in run.results])
