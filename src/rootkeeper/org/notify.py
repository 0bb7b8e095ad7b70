"""The break-glass notifier: after every journaled retrieval, a configured command or an SNS topic hears of it.

``[notify] command = ["/usr/local/bin/page-security", "break-glass"]`` runs that program (no
shell) with the record's fields as one JSON object on its stdin and a few of them in its environment
(``ROOTKEEPER_NOTIFY_EVENT``, ``..._ACCOUNT_ID``, ``..._SEQ``), in an environment without any secret
(``hygiene.child_environment``); ``sns_topic_arn = "arn:aws:sns:..."`` publishes the same object (boto3, the
standard credential chain). What is sent is the journal record's fields: never a secret (the journal holds none).

The notification starts as soon as the record is written, on a thread, and the command waits for it only
when it ends (at most ``timeout_seconds``): the retrieval is never delayed by it nor undone by its failure,
which is reported as a warning naming the record, so the team can be told another way.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404 - a configured program, an argument list, no shell
import threading
import time

from ..rules.rootuse import iso

# The journal's retrievals: what a team wants to hear of as it happens.
NOTIFIED = ("password.show", "password.clip", "code", "seeds.export")
SCHEMA = "rootkeeper.notification/1"


def payload(event: dict, stamp: tuple[int, str], actor: str) -> dict:
    seq, digest = stamp
    return {"schema": SCHEMA, "seq": seq, "sha256": digest, "time": iso(time.time()),
            "actor": actor, **{k: v for k, v in event.items() if k not in ("seq", "prev", "time", "actor")}}


class Notifier:
    def __init__(self, command: list[str] | None, topic: str | None, timeout: float = 10.0) -> None:
        self.command, self.topic, self.timeout = command, topic, timeout
        self._threads: list[threading.Thread] = []
        self._failures: list[str] = []
        self._lock = threading.Lock()

    def send(self, event: dict, stamp: tuple[int, str]) -> None:
        if event.get("event") not in NOTIFIED:
            return
        from ..storage.journal import actor

        body = payload(event, stamp, actor())
        thread = threading.Thread(target=self._deliver, args=(body,), daemon=True, name="notify")
        thread.start()
        self._threads.append(thread)

    def _fail(self, body: dict, why: str) -> None:
        with self._lock:
            self._failures.append(f"the break-glass notifier failed ({why}): journal record {body['seq']} "
                                  f"({body.get('event')}) is written; tell the team another way")

    def _deliver(self, body: dict) -> None:
        text = json.dumps(body, sort_keys=True)
        if self.command:
            self._run(body, text)
        if self.topic:
            self._publish(body, text)

    def _run(self, body: dict, text: str) -> None:
        from ..hygiene import child_environment, program

        argv = list(self.command)
        found = argv[0] if "/" in argv[0] or "\\" in argv[0] else program(argv[0])
        if not found:
            self._fail(body, f"{argv[0]} is not on PATH")
            return
        env = child_environment() | {"ROOTKEEPER_NOTIFY_EVENT": str(body.get("event")),
                                     "ROOTKEEPER_NOTIFY_ACCOUNT_ID": str(body.get("account_id") or ""),
                                     "ROOTKEEPER_NOTIFY_SEQ": str(body["seq"])}
        try:
            done = subprocess.run([found, *argv[1:]], input=text.encode(), env=env, capture_output=True,  # nosec B603
                                  timeout=self.timeout, check=False)
        except subprocess.TimeoutExpired:
            self._fail(body, f"{argv[0]} did not finish in {self.timeout:g} s")
            return
        except OSError as exc:
            self._fail(body, f"{argv[0]}: {exc.strerror or exc}")
            return
        if done.returncode != 0:
            said = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
            self._fail(body, f"{argv[0]} exited {done.returncode}{': ' + said[0][:160] if said[0] else ''}")

    def _publish(self, body: dict, text: str) -> None:
        from .aws import Aws, is_aws_failure

        try:
            aws = Aws(region=self.topic.split(":")[3] or None)
            aws.client("sns").publish(TopicArn=self.topic, Subject=f"rootkeeper break glass: {body.get('event')} "
                                      f"{body.get('account_id') or ''}".strip()[:100], Message=text)
        except Exception as exc:  # noqa: BLE001 - on this thread any failure is reported, never raised: the
            # retrieval is done, and a traceback would be all the person sees of it
            what = "AWS" if is_aws_failure(exc) else type(exc).__name__
            self._fail(body, f"SNS {self.topic}: {what}: {str(exc)[:200]}")

    def finish(self) -> list[str]:
        """Wait (bounded) for the notifications started; the failures, each a line."""
        for thread in self._threads:
            thread.join(self.timeout + 5)
            if thread.is_alive():
                self._failures.append("the break-glass notifier is still running: its result is unknown")
        self._threads.clear()
        with self._lock:
            failures, self._failures = self._failures, []
        return failures
