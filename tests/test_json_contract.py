"""The --json output contract (first-hour issue #9, item 12): every output validates against its
JSON Schema in schemas/, carries its schema name, and uses one key for the account name."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import jsonschema
import pytest
from conftest import aws_env, random_seed

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


def check(name: str, text: str) -> dict:
    document = json.loads(text)
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    assert document["schema"] == f"rootkeeper.{name}/1"
    assert '"name"' not in text  # one key for the account name everywhere: account_name
    return document


@pytest.fixture
def world(home, sim):
    """An organization with a custodied member, a member with root access keys, and a rootless one."""
    sim.create_organization()
    sim.features |= {"RootSessions", "RootCredentialsManagement"}
    env = aws_env(sim.url)
    custodied = sim.add_account("custodied", "aws+custodied@example.com")
    serial, seed = sim.console_create_virtual_mfa(custodied, "root-mfa")
    codes = home.rk("enroll", custodied, "--name", "custodied", "--email", "aws+custodied@example.com",
                    "--seed-file", "-", "--device-arn", serial, input=seed, env=env, check=True).out.split()
    sim.console_enable_mfa(custodied, serial, codes[0], codes[1])
    home.rk("seeds", "prove", custodied, "--signed-in", check=True)  # the console accepted the codes
    sim.console_set_password(custodied, home.rk("password", custodied, "--reason", "r", "--show", check=True).out.strip())
    keys = sim.add_account("keys", "aws+keys@example.com")
    sim.plant_access_key(keys)
    sim.add_account("rootless", "aws+rootless@example.com")
    home.rk("enroll", "999999999999", "--name", "gone", "--seed-file", "-", input=random_seed(), check=True)
    home.env = env
    return home


def test_every_json_output_validates_against_its_schema(world):
    env = world.env
    listing = check("list", world.rk("list", "--json", env=env, check=True).out)
    assert {a["state"] for a in listing["accounts"]} == {"custodied"}
    seeds_only = check("list", world.rk("list", "--json", "--only", "seeds", env=env, check=True).out)
    assert all(a["password"] is None for a in seeds_only["accounts"])
    journal = check("journal", world.rk("journal", "show", "--json", env=env, check=True).out)
    assert [r["seq"] for r in journal["records"]] == list(range(1, len(journal["records"]) + 1))
    accounts = check("org-accounts", world.rk("org", "accounts", "--json", env=env, check=True).out)
    assert sum(a["management"] for a in accounts["accounts"]) == 1
    reconcile = world.rk("org", "reconcile", "--json", env=env)
    assert reconcile.returncode == 1, reconcile.err
    findings = check("org-reconcile", reconcile.out)
    assert isinstance(findings["accounts_in_organization"], int)
    audit = world.rk("org", "audit", "--json", env=env)
    report = check("org-audit", audit.out)
    verdicts = {a["account_name"]: a["verdict"] for a in report["accounts"]}
    assert verdicts["custodied"] == "CUSTODIED" and verdicts["keys"] == "ROOT_ACCESS_KEYS"
    assert verdicts["rootless"] == "ROOTLESS"
    rootless = [a for a in report["accounts"] if a["account_name"] == "rootless"][0]
    assert rootless["error"] is None and rootless["password"] is False and rootless["calls"] >= 1


def test_audit_csv_writes_booleans_as_true_and_false(world):
    result = world.rk("org", "audit", "--csv", env=world.env)
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert rows and {r["management"] for r in rows} == {"true", "false"}
    assert {r["vault"] for r in rows} <= {"true", "false"} and "account_name" in rows[0]


def test_every_schema_is_valid_and_documented_in_the_readme():
    readme = (SCHEMAS.parent / "README.md").read_text()
    names = sorted(p.name.removesuffix(".schema.json") for p in SCHEMAS.glob("*.schema.json"))
    assert names == ["custody-check", "drill", "journal", "list", "locks", "org-accounts", "org-audit", "org-reconcile",
                     "org-root-use", "policies"]
    for name in names:
        jsonschema.Draft202012Validator.check_schema(json.loads((SCHEMAS / f"{name}.schema.json").read_text()))
        assert f"rootkeeper.{name}/1" in readme, name
