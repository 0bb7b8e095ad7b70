"""Every setting resolved once, in one order: flag > environment > rootkeeper.toml > default."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from rootkeeper.errors import ConfigError
from rootkeeper.storage.settings import SECRETS, VARIABLES, resolve


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "team" / "rootkeeper.toml"
    path.parent.mkdir()
    path.write_text('[vault]\npath = "from-config.kdbx"\n[seeds]\npath = "from-config.age"\n')
    return path


def test_a_flag_beats_the_environment_which_beats_the_configuration_which_beats_the_default(tmp_path):
    config = config_file(tmp_path)
    env = {"ROOTKEEPER_CONFIG": str(config), "ROOTKEEPER_VAULT": "from-env.kdbx"}
    flags = {"vault": "from-flag.kdbx"}
    assert resolve(flags.get, env).vault == Path("from-flag.kdbx")
    assert resolve({}.get, env).vault == Path("from-env.kdbx")
    chosen = resolve({}.get, {"ROOTKEEPER_CONFIG": str(config)})
    assert chosen.vault == config.parent / "from-config.kdbx" and chosen.seeds == config.parent / "from-config.age"
    assert chosen.journal == config.parent / "rootkeeper-journal.jsonl"  # the default: beside the configuration
    assert chosen.lock_wait == 10.0 and chosen.aws_call_budget == 45.0


def test_a_configuration_named_explicitly_must_exist_the_default_one_need_not(tmp_path, monkeypatch):
    with pytest.raises(ConfigError, match="does not exist"):
        resolve({}.get, {"ROOTKEEPER_CONFIG": str(tmp_path / "missing.toml")})
    with pytest.raises(ConfigError, match="does not exist"):
        resolve({"config": str(tmp_path / "missing.toml")}.get, {})
    monkeypatch.chdir(tmp_path)
    chosen = resolve({}.get, {})
    assert chosen.config.path is None and chosen.vault is None and chosen.journal == tmp_path / "rootkeeper-journal.jsonl"


@pytest.mark.parametrize(("variable", "text"), [("ROOTKEEPER_LOCK_WAIT", "ten"), ("ROOTKEEPER_LOCK_WAIT", "-1"),
                                                ("ROOTKEEPER_AWS_READ_TIMEOUT", "0"), ("ROOTKEEPER_AWS_CALL_BUDGET", "nan")])
def test_a_knob_that_is_not_a_number_of_seconds_is_an_error_naming_its_variable(variable, text):
    """A lock wait of "ten" used to mean 10 s silently; now it is refused, as the AWS timeouts were."""
    with pytest.raises(ConfigError, match=variable):
        resolve({}.get, {variable: text})


def test_no_secret_is_ever_a_value_of_the_settings(tmp_path):
    env = {variable: "correct horse battery staple" for variable in SECRETS.values()}
    chosen = resolve({}.get, env)
    assert "correct horse battery staple" not in repr(dataclasses.asdict(chosen))
    assert not set(SECRETS.values()) & set(VARIABLES.values())
