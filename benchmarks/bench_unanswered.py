"""How long an org command waits on an endpoint that accepts connections and never answers.

Default settings (connect 5 s, read 20 s, call budget 45 s, AWS_MAX_ATTEMPTS unset):

    python benchmarks/bench_unanswered.py            # org accounts and org audit
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time


def main() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)  # the kernel accepts; nobody ever answers
    url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ROOTKEEPER_"))}
    env.update({"AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "x",
                "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "AWS_EC2_METADATA_DISABLED": "true"})
    print("| command | exit | wall time | error |")
    print("|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        os.mkdir(os.path.join(tmp, "v"))
        os.mkdir(os.path.join(tmp, "s"))
        env.update({"ROOTKEEPER_VAULT_PASSWORD": "benchmark vault password", "ROOTKEEPER_SEEDS_PASSPHRASE": "x" * 20})
        subprocess.run([sys.executable, "-m", "rootkeeper", "init", "--vault", "v/v.kdbx", "--seeds", "s/s.age",
                        "--kdf-memory-mib", "8", "--kdf-iterations", "1"], env=env, cwd=tmp, check=True,
                       capture_output=True)
        for args in (["org", "accounts"], ["org", "audit"]):
            start = time.monotonic()
            result = subprocess.run([sys.executable, "-m", "rootkeeper", *args], env=env, cwd=tmp,
                                    capture_output=True, text=True)
            wall = time.monotonic() - start
            error = (result.stderr.strip().splitlines() or [""])[-1][:100]
            print(f"| `rootkeeper {' '.join(args[:2])}` | {result.returncode} | {wall:.1f} s | {error} |")


if __name__ == "__main__":
    main()
