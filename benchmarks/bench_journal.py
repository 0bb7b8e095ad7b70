"""Journal verification cost: every writer verifies the whole chain before it appends.

Builds journals of N records (code-retrieval records, as break glass writes them) and
times ``journal verify`` (the library call) and one append (verify + settle + write),
min of 5 runs. Also times ``sha256sum`` over the same file, the floor of any check that
reads every byte.

    python benchmarks/bench_journal.py --records 10000 100000
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
from pathlib import Path

from _workdir import best

from rootkeeper.storage import transaction
from rootkeeper.storage.journal import Journal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print("| records | journal size | verify | append one | sha256sum (floor) |")
    print("|---|---|---|---|---|")
    for n in args.records:
        with tempfile.TemporaryDirectory() as tmp:
            journal = Journal(Path(tmp) / "journal.jsonl")
            event = {"event": "code", "account_id": "123456789012", "account_name": "prod-payments",
                     "reason": "close the account (CHG-1234)", "at": 1764000000}
            transaction.append(journal, [dict(event) for _ in range(n)])
            result = transaction.verify(journal)
            assert result.ok and result.count == n, result.problems
            verify = best(lambda j=journal: transaction.verify(j))
            append = best(lambda j=journal, e=event: transaction.append(j, [dict(e)]))
            floor = best(lambda p=journal.path: subprocess.run(["sha256sum", p], capture_output=True, check=True))
            size = journal.path.stat().st_size / 1e6
            print(f"| {n:,} | {size:.1f} MB | {verify:.3f} s | {append:.3f} s | {floor:.3f} s |")


if __name__ == "__main__":
    main()
