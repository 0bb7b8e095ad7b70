"""`rootkeeper org root-use` over a simulated organization trail: 1,000 accounts x 30 days by default.

Run: .venv/bin/python benchmarks/bench_root_use.py [--accounts N] [--days D] [--per-day K] [--runs R]

The simulator (this process, 127.0.0.1) holds an organization trail in its S3: per account and day, K log files
of ordinary calls and one digest naming them; 1 % of the accounts also have a root sign-in on some day. In the
same run, on the same objects:
- rootkeeper: `org root-use --since 30d --json` (lists only the window's prefixes, reads every log file of it
  through boto3 over HTTP, checks each against its digest, joins with the journal), a separate process, the
  package byte-compiled first; wall time, peak memory (max RSS), objects read;
- the anchor a person would otherwise run, after `aws s3 sync` of the same objects to a local disk (the download
  not counted): `find | xargs zcat | jq` selecting root's records (no digest check, no join);
- the SQL path's engine side: the very query `--via athena` sends, run by DuckDB over the same records loaded as
  AWS's CloudTrail table (the load not counted), to size what a query engine does instead.
Figures: seconds, the cost per account-day, and 10,000 accounts estimated from it.
"""

from __future__ import annotations

import argparse
import compileall
import gzip
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(SRC))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _workdir import WRAP  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, default=2, help="log files per account and day")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    compileall.compile_dir(str(SRC / "rootkeeper"), quiet=1)

    from rootkeeper.sim import trail as simtrail
    from rootkeeper.sim.org import SimOrg

    sim = SimOrg(validate=False)
    url, _server = sim.serve()
    sim.create_organization()
    ids = [sim.add_account(f"acct-{i:05d}", f"aws+acct-{i:05d}@example.com") for i in range(args.accounts)]
    trail = sim.enable_trail()
    start = (int(time.time()) // 86400 - args.days + 1) * 86400
    rng = random.Random(7)
    extra = {a: [simtrail.console_login(a, start + rng.randrange(args.days * 86400), success=True, mfa_used=True)]
             for a in rng.sample(ids, max(1, args.accounts // 100))}
    t = time.perf_counter()
    written = trail.write_history([*ids, "123456789012"], start, args.days, per_day=args.per_day, extra=extra)
    print(f"simulated trail: {written} log files and {(args.accounts + 1) * args.days} digests in "
          f"{time.perf_counter() - t:.0f} s", flush=True)

    work = Path(tempfile.mkdtemp(prefix="rk-bench-rootuse-"))
    env = {**os.environ, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "AKIDMANAGEMENT", "AWS_SECRET_ACCESS_KEY": "x",
           "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}
    ours = []
    for _ in range(args.runs):
        with open(work / "out.json", "wb") as out, open(work / "err.txt", "wb") as err:
            proc = subprocess.Popen([sys.executable, "-c", WRAP, sys.executable, "-m", "rootkeeper", "org", "root-use",
                                     "--since", f"{args.days}d", "--json", "--concurrency", str(args.concurrency)],
                                    cwd=work, env=env, stdout=out, stderr=err)
            _pid, status, usage = os.wait4(proc.pid, 0)  # the CLI's own CPU (the simulator's is this process's)
        if os.waitstatus_to_exitcode(status) not in (0, 1):
            sys.exit((work / "err.txt").read_text()[-2000:])
        seconds, peak = (work / "err.txt").read_text().strip().splitlines()[-1].split()
        report = json.loads((work / "out.json").read_text())
        ours.append((float(seconds), int(peak), report, usage.ru_utime + usage.ru_stime))
    seconds, peak, report, cpu = min(ours, key=lambda r: r[0])
    x = report["examined"]
    found = sum(u["kind"] == "sign-in" for u in report["uses"])
    assert found == len(extra), (found, len(extra))

    # The same objects on a local disk, for the anchor and the SQL engine.
    local = work / "sync"
    records = []
    for key in sorted(sim.trail.s3.get_bucket(simtrail.BUCKET).keys):
        if "/CloudTrail/" not in key:
            continue
        data = sim.trail.s3.get_object(simtrail.BUCKET, key).value
        path = local / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        records += json.loads(gzip.decompress(data))["Records"]
    shell = (f"find {local} -name '*.json.gz' -print0 | xargs -0 zcat | "
             "jq -c '.Records[] | select(.userIdentity.type == \"Root\" or .eventName == \"AssumeRoot\")' | wc -l")
    anchors = []
    for _ in range(args.runs):
        t = time.perf_counter()
        lines = subprocess.run(["sh", "-c", shell], capture_output=True, check=True).stdout.decode().strip()
        anchors.append(time.perf_counter() - t)
    anchor = min(anchors)

    engine = None
    try:
        import duckdb
        from test_root_use_sql import DDL, athena_row

        from rootkeeper.org import athena
        from rootkeeper.rules.rootuse import parse_time

        con = duckdb.connect()
        con.execute(DDL)
        con.executemany("INSERT INTO cloudtrail_db.org_trail VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        [athena_row(r) for r in records])
        sql = athena.query("cloudtrail_db.org_trail", parse_time(report["since"]), parse_time(report["until"]))
        t = time.perf_counter()
        rows = con.execute(sql).fetchall()
        engine = (time.perf_counter() - t, len(rows))
    except ImportError:
        pass

    account_days = (args.accounts + 1) * args.days
    print(f"org root-use, {args.accounts + 1} accounts x {args.days} days ({account_days} account-days), "
          f"concurrency {args.concurrency}, min of {args.runs}:")
    print(f"  rootkeeper  {seconds:8.2f} s  peak {peak // 1024} MiB  {x['objects_read']} log files read "
          f"({x['bytes_read'] // 1024} KiB uncompressed), {x['listings']} listings, {x['digests_read']} digests "
          f"({x['digest_signatures_verified']} signatures verified), {x['objects_verified']} log files verified; "
          f"{found} sign-ins found")
    print(f"  cpu         {cpu:8.2f} s  of the CLI (the rest of the wall time is the simulator's S3 serving it, "
          "on the same two cores)")
    print(f"  cost        {seconds / account_days * 1000:8.2f} ms wall, {cpu / account_days * 1000:.2f} ms CLI CPU per "
          f"account-day -> 10,000 accounts x {args.days} days ~ {seconds / account_days * 10001 * args.days / 60:.0f} min "
          f"wall at the simulator's speed, {cpu / account_days * 10001 * args.days / 60:.0f} min of the CLI's CPU")
    print(f"  anchor      {anchor:8.2f} s  find | zcat | jq over the synced files ({lines} root records; no digest "
          f"check, no journal, download not counted); ratio {seconds / anchor:.2f}x")
    if engine:
        print(f"  SQL engine  {engine[0]:8.3f} s  DuckDB running --via athena's query over {len(records)} records "
              f"({engine[1]} rows back)")


if __name__ == "__main__":
    main()
