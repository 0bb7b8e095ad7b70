"""The finding formats over a large audit: OCSF, ASFF and the HTML page of N accounts, beside jq.

Run: .venv/bin/python benchmarks/bench_findings.py [--accounts N]

A synthetic 'org audit --json' report of N accounts (every verdict, in the proportions a real organization
has: most ROOTLESS or CUSTODIED) is written once; then, in the same run and on the same file, each is timed
(best of 3, the package byte-compiled first):
- rootkeeper: the report read, turned into results (4 per examined account), and written as OCSF
  (py-ocsf-models builds and checks every finding), as ASFF, and as the page;
- jq: the same report turned into one plain object per account with the fields a SIEM would take (the
  script a team would otherwise write, with no controls, no stable ids and no validation).
Prints seconds, results per second and the ratio to jq.
"""

from __future__ import annotations

import argparse
import compileall
import json
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(HERE))

from _workdir import best  # noqa: E402

VERDICTS = ["ROOTLESS"] * 60 + ["CUSTODIED"] * 30 + ["NO_MFA", "ROOT_ACCESS_KEYS", "SEED_MISSING", "INCOMPLETE",
                                                     "UNREACHABLE", "NOT_ACTIVE", "DEVICE_UNKNOWN", "SEED_UNPROVEN",
                                                     "NOT_IN_VAULT", "SEED_MISMATCH"]
JQ = ('[.accounts[] | {account: .account_id, name: .account_name, verdict, '
      'status: (if (.verdict == "ROOTLESS" or .verdict == "CUSTODIED") then "pass" else "fail" end), '
      'mfa: .mfa_enabled, keys: (.access_keys // [] | length)}]')


def report(n: int) -> dict:
    rng = random.Random(7)
    rows = []
    for i in range(n):
        verdict = rng.choice(VERDICTS)
        examined = verdict not in ("UNREACHABLE", "NOT_ACTIVE")
        virtual = f"arn:aws:iam::{i:012d}:mfa/root-mfa"
        mfa = [virtual] if verdict in ("CUSTODIED", "SEED_MISSING", "DEVICE_UNKNOWN") else []
        rows.append({"account_id": f"{i:012d}", "account_name": f"account-{i}", "email": f"aws+{i}@example.com",
                     "state": "ACTIVE", "management": i == 0, "verdict": verdict,
                     "error": None if examined else "AccessDenied", "message": None,
                     "password": verdict not in ("ROOTLESS",) if examined else None,
                     "mfa": mfa if examined else None, "mfa_enabled": bool(mfa) if examined else None,
                     "mfa_devices": [{"serial": s, "kind": "virtual", "known": "seed"} for s in mfa] if examined else None,
                     "access_keys": (["AKIA" + "X" * 16] if verdict == "ROOT_ACCESS_KEYS" else []) if examined else None,
                     "signing_certificates": [] if examined else None, "vault": verdict == "CUSTODIED",
                     "seed_device_arn": mfa[0] if mfa else None, "seed_proven_at": None, "seeds": [], "findings": [],
                     "advice": [], "password_last_used": None, "access_keys_last_used": None, "calls": 3})
    return {"schema": "rootkeeper.org-audit/1", "accounts": rows, "summary": {}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    opts = parser.parse_args()
    compileall.compile_dir(str(SRC), quiet=1)
    from rootkeeper.findings import asff, html, ocsf
    from rootkeeper.findings.results import Run, from_audit
    from rootkeeper.org.audit import EXPLAIN

    work = Path(tempfile.mkdtemp(prefix="bench-findings-"))
    source = work / "audit.json"
    source.write_text(json.dumps(report(opts.accounts)))
    jq = shutil.which("jq")

    def run_of() -> Run:
        payload = json.loads(source.read_text())
        return Run("audit", "bench", "2026-12-01T00:00:00Z", from_audit(payload, EXPLAIN), {}, [], "")

    results = len(run_of().results)
    timings = {
        "results only": best(run_of, 3),
        "OCSF (py-ocsf-models)": best(lambda: (work / "o.json").write_text(ocsf.document(run_of())), 3),
        "ASFF": best(lambda: (work / "a.json").write_text(asff.document(
            run_of().results, account="123456789012", partition="aws", region="us-east-1", now="2026-12-01T00:00:00Z")), 3),
        "HTML page": best(lambda: (work / "p.html").write_text(html.page(run_of())), 3),
    }
    anchor = None
    if jq:
        anchor = best(lambda: subprocess.run([jq, "-c", JQ, str(source)], check=True, stdout=subprocess.DEVNULL), 3)
    print(f"{opts.accounts} accounts, {results} results (the report: {source.stat().st_size / 2**20:.1f} MiB)")
    for name, seconds in timings.items():
        ratio = f", {seconds / anchor:.1f}x jq" if anchor else ""
        print(f"  {name:<24} {seconds:7.3f} s  {results / seconds:10.0f} results/s{ratio}")
    if anchor:
        print(f"  {'jq (one object/account)':<24} {anchor:7.3f} s")
    sizes = {p.name: p.stat().st_size for p in work.iterdir() if p.name != "audit.json"}
    print("  sizes: " + ", ".join(f"{k} {v / 2**20:.1f} MiB" for k, v in sorted(sizes.items())))
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
