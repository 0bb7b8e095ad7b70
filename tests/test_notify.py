"""The break-glass notifier ([notify]): a program or an SNS topic told of every journaled retrieval, with the
record's fields and never a secret; a notifier that fails is reported and never undoes the retrieval."""

from __future__ import annotations

import json
import os
import stat

import boto3
from conftest import SEEDS_PASSPHRASE, VAULT_PASSWORD, aws_env, base_env, random_seed

SCRIPT = """#!/bin/sh
cat >> "{out}/got.jsonl"
echo >> "{out}/got.jsonl"
env > "{out}/got.env"
exit ${{NOTIFY_EXIT:-0}}
"""


def notifier(home, tmp_path, extra: str = "") -> os.PathLike:
    script = tmp_path / "notify.sh"
    script.write_text(SCRIPT.format(out=tmp_path))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    home.config.write_text(home.config.read_text() + f'\n[notify]\ncommand = ["{script}", "--channel", "glass"]\n{extra}')
    return script


def enrolled(home) -> tuple[str, str]:
    seed = random_seed()
    home.rk("enroll", "111122223333", "--name", "payments", "--seed-file", "-", input=seed, check=True)
    return "111122223333", seed


def secret_env() -> dict[str, str]:
    """Secrets in the environment, as automation gives them: the notifier must not inherit them."""
    return base_env() | {"ROOTKEEPER_VAULT_PASSWORD": VAULT_PASSWORD, "ROOTKEEPER_SEEDS_PASSPHRASE": SEEDS_PASSPHRASE,
                         "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}


def test_every_retrieval_is_sent_to_the_notifier_with_its_record_and_no_secret(home, tmp_path):
    account, seed = enrolled(home)
    notifier(home, tmp_path)
    code = home.rk("code", account, "--reason", "CHG-42 close the account", env=secret_env(), check=True)
    password = home.rk("password", account, "--reason", "CHG-42 close the account", "--show", env=secret_env(),
                       check=True).out.splitlines()[0]
    sent = [json.loads(line) for line in (tmp_path / "got.jsonl").read_text().splitlines() if line.strip()]
    assert [s["event"] for s in sent] == ["code", "password.show"]
    journal = [json.loads(line) for line in home.journal.read_text().splitlines()]
    for told in sent:
        record = next(r for r in journal if r["seq"] == told["seq"])
        assert told["schema"] == "rootkeeper.notification/1"
        assert (told["account_id"], told["reason"], told["actor"]) == (account, "CHG-42 close the account", record["actor"])
        assert record["event"] == told["event"]
    env_seen = (tmp_path / "got.env").read_text()
    everything = (tmp_path / "got.jsonl").read_text() + env_seen
    for secret in (password, seed, code.out.split()[0], VAULT_PASSWORD, SEEDS_PASSPHRASE, "wJalrXUtnFEMI"):
        assert secret not in everything
    assert "ROOTKEEPER_NOTIFY_EVENT=password.show" in env_seen and f"ROOTKEEPER_NOTIFY_ACCOUNT_ID={account}" in env_seen
    # Not a retrieval: no notification.
    home.rk("list", check=True)
    assert len([line for line in (tmp_path / "got.jsonl").read_text().splitlines() if line.strip()]) == 2


def test_a_failing_notifier_is_reported_and_the_retrieval_stands(home, tmp_path):
    account, _seed = enrolled(home)
    notifier(home, tmp_path, "timeout_seconds = 2\n")
    for command in (["code", account, "--reason", "CHG-1"], ["password", account, "--reason", "CHG-1", "--show"]):
        result = home.rk(*command, env=base_env() | {"NOTIFY_EXIT": "3"})
        assert result.returncode == 0 and result.out.strip(), result.err
        warning = [line for line in result.err.splitlines() if "notifier failed" in line]
        assert len(warning) == 1 and "exited 3" in warning[0] and "journal record" in warning[0], result.err
    assert [json.loads(line)["event"] for line in home.journal.read_text().splitlines()][-2:] == ["code", "password.show"]
    # A program that hangs: bounded by timeout_seconds, reported.
    (tmp_path / "notify.sh").write_text("#!/bin/sh\nsleep 30\n")
    result = home.rk("code", account, "--reason", "CHG-1")
    assert result.returncode == 0 and "did not finish in 2 s" in result.err
    # A program that is not there.
    home.config.write_text(home.config.read_text().replace(str(tmp_path / "notify.sh"), str(tmp_path / "gone.sh")))
    result = home.rk("code", account, "--reason", "CHG-1")
    assert result.returncode == 0 and "notifier failed" in result.err


def test_a_notifier_that_is_not_a_list_is_a_configuration_error(home):
    home.config.write_text(home.config.read_text() + '\n[notify]\ncommand = "curl https://hooks.example/x"\n')
    result = home.rk("list")
    assert result.returncode == 2 and "command must be a list of strings" in result.err


def test_an_sns_topic_hears_of_every_retrieval(home, sim):
    account, _seed = enrolled(home)
    env = aws_env(sim.url)
    kw = {"endpoint_url": sim.url, "region_name": "us-east-1", "aws_access_key_id": "AKIDMANAGEMENT",
          "aws_secret_access_key": "testing"}
    sns, sqs = boto3.client("sns", **kw), boto3.client("sqs", **kw)
    topic = sns.create_topic(Name="break-glass")["TopicArn"]
    queue = sqs.create_queue(QueueName="security-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    home.config.write_text(home.config.read_text() + f'\n[notify]\nsns_topic_arn = "{topic}"\n')
    home.rk("password", account, "--reason", "CHG-77", "--show", env=env, check=True)
    messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=2).get("Messages", [])
    assert len(messages) == 1
    told = json.loads(json.loads(messages[0]["Body"])["Message"])
    assert (told["event"], told["account_id"], told["reason"]) == ("password.show", account, "CHG-77")
