"""``rootkeeper.toml``: paths and settings, never a secret.

Found at ``--config FILE``, else ``$ROOTKEEPER_CONFIG``, else ``./rootkeeper.toml`` (``settings.resolve``).
Relative paths in it are relative to the file's own directory.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ConfigError
from ..rules.accounts import DEFAULT_EMAIL_TEMPLATE
from ..rules.redaction import AGE_IDENTITY, shown_key
from . import fsutil

DEFAULT_NAME = "rootkeeper.toml"
AGE_RECIPIENT = re.compile(r"age1[02-9ac-hj-np-z]{58}")  # bech32: the checksum is pyrage's to check
DEFAULT_JOURNAL = "rootkeeper-journal.jsonl"
_WINDOWS_ABSOLUTE = re.compile(r"[A-Za-z]:[\\/]|\\\\")  # C:\... or \\server\share


@dataclass
class Config:
    path: Path | None = None
    vault: Path | None = None
    vault_key_file: Path | None = None
    seeds: Path | None = None
    recipients: list[str] = field(default_factory=list)
    journal: Path | None = None
    email_template: str = DEFAULT_EMAIL_TEMPLATE
    clipboard_seconds: int = 30
    password_length: int = 32
    # [root_use]: who may AssumeRoot without a journal record (ARN patterns), how long a retrieval explains
    # root uses after it, and the organization trail to read (None: the one DescribeTrails finds).
    allowed_assume_root: list[str] = field(default_factory=list)
    root_use_window_minutes: int = 60
    trail: str | None = None
    # [notify]: told of every journaled retrieval (org/notify.py): a program (an argument list) or an SNS topic.
    notify_command: list[str] = field(default_factory=list)
    notify_topic: str | None = None
    notify_timeout: int = 10

    @property
    def base(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def _str(table: dict, key: str, where: str) -> str | None:
    value = table.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string")
    return value


def load(path: str | Path | None, *, explicit: bool | None = None) -> Config:
    """Load the configuration at ``path`` (None: ./rootkeeper.toml). A file named explicitly (--config,
    ROOTKEEPER_CONFIG: ``settings.resolve`` says which) must exist; a missing default gives an empty Config."""
    chosen = path is not None if explicit is None else explicit
    path = Path(path) if path is not None else Path(DEFAULT_NAME)
    if not path.exists():
        if chosen:
            raise ConfigError(f"configuration {path} does not exist: check --config / ROOTKEEPER_CONFIG, or run 'rootkeeper init'")
        return Config()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"configuration {path} is not valid TOML ({exc}): fix it") from None
    cfg = Config(path=path.resolve())
    base = cfg.base

    def resolve(value: str | None) -> Path | None:
        if value is None:
            return None
        if os.name != "nt" and _WINDOWS_ABSOLUTE.match(value):
            raise ConfigError(f"{path}: {value} is a Windows path, which this system cannot open: give the path "
                              "relative to the configuration's directory (as init writes it)")
        return base / Path(fsutil.portable(value)).expanduser()

    vault = data.get("vault", {})
    seeds = data.get("seeds", {})
    journal = data.get("journal", {})
    accounts = data.get("accounts", {})
    glass = data.get("break_glass", {})
    use = data.get("root_use", {})
    notify = data.get("notify", {})
    for name, table in (("vault", vault), ("seeds", seeds), ("journal", journal),
                        ("accounts", accounts), ("break_glass", glass), ("root_use", use), ("notify", notify)):
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{name}] must be a table")
    for forbidden in ("password", "passphrase", "master_password", "identity_key"):
        if forbidden in vault or forbidden in seeds:
            raise ConfigError(f"{path} holds a '{forbidden}': the configuration must never hold a secret; remove it")
    cfg.vault = resolve(_str(vault, "path", f"{path} [vault]"))
    cfg.vault_key_file = resolve(_str(vault, "key_file", f"{path} [vault]"))
    cfg.seeds = resolve(_str(seeds, "path", f"{path} [seeds]"))
    recipients = seeds.get("recipients", [])
    if not isinstance(recipients, list) or not all(isinstance(r, str) for r in recipients):
        raise ConfigError(f"{path} [seeds]: recipients must be a list of age1... strings")
    for recipient in recipients:
        if not AGE_RECIPIENT.fullmatch(recipient.strip()):
            what = ("an age SECRET key: remove it from the file, and consider it exposed"
                    if recipient.strip().upper().startswith(AGE_IDENTITY) else
                    "not an age X25519 recipient (age1 and 58 more characters): copy it from age-keygen -y")
            raise ConfigError(f"{path} [seeds]: recipient {shown_key(recipient)} is {what}")
    cfg.recipients = [r.strip() for r in recipients]
    cfg.journal = resolve(_str(journal, "path", f"{path} [journal]")) or base / DEFAULT_JOURNAL
    cfg.email_template = _str(accounts, "email_template", f"{path} [accounts]") or DEFAULT_EMAIL_TEMPLATE
    seconds = glass.get("clipboard_seconds", 30)
    length = accounts.get("password_length", 32)
    if not isinstance(seconds, int) or not 5 <= seconds <= 600:
        raise ConfigError(f"{path} [break_glass]: clipboard_seconds must be 5-600")
    if not isinstance(length, int) or not 12 <= length <= 128:
        raise ConfigError(f"{path} [accounts]: password_length must be 12-128")
    cfg.clipboard_seconds, cfg.password_length = seconds, length
    allowed = use.get("allowed_assume_root", [])
    if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
        raise ConfigError(f"{path} [root_use]: allowed_assume_root must be a list of ARNs (patterns with * allowed), "
                          'e.g. ["arn:aws:iam::123456789012:role/rootkeeper-audit*#IAMAuditRootUserCredentials"]')
    from ..rules.rootuse import allowance_problem

    for entry in allowed:
        problem = allowance_problem(entry)
        if problem:
            raise ConfigError(f"{path} [root_use] allowed_assume_root: {problem}")
    window = use.get("window_minutes", 60)
    if not isinstance(window, int) or not 1 <= window <= 1440:
        raise ConfigError(f"{path} [root_use]: window_minutes must be 1-1440")
    cfg.allowed_assume_root = [a.strip() for a in allowed]
    cfg.root_use_window_minutes = window
    cfg.trail = _str(use, "trail", f"{path} [root_use]")
    command = notify.get("command", [])
    if not isinstance(command, list) or not all(isinstance(c, str) and c for c in command):
        raise ConfigError(f'{path} [notify]: command must be a list of strings, e.g. ["/usr/local/bin/page", '
                          '"security"] (no shell)')
    topic = _str(notify, "sns_topic_arn", f"{path} [notify]")
    if topic is not None and not re.fullmatch(r"arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_.-]{1,256}", topic):
        raise ConfigError(f"{path} [notify]: sns_topic_arn {topic!r} is not an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:NAME)")
    timeout = notify.get("timeout_seconds", 10)
    if not isinstance(timeout, int) or not 1 <= timeout <= 120:
        raise ConfigError(f"{path} [notify]: timeout_seconds must be 1-120")
    cfg.notify_command, cfg.notify_topic, cfg.notify_timeout = list(command), topic, timeout
    return cfg


def _toml_str(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def render(cfg_path: Path, vault: Path, seeds: Path, journal: Path, *, key_file: Path | None,
           recipients: list[str], email_template: str) -> str:
    base = cfg_path.resolve().parent
    lines = [
        "# rootkeeper configuration: paths and settings only. Never put a secret here.",
        "# Relative paths are relative to this file's directory.",
        "",
        "[vault]",
        "# KeePass database (KDBX 4, Argon2id) holding only AWS root passwords.",
        f"path = {_toml_str(fsutil.relative(vault, base))}",
    ]
    if key_file:
        lines.append(f"key_file = {_toml_str(fsutil.relative(key_file, base))}")
    lines += [
        "",
        "[seeds]",
        "# age-encrypted CSV holding only the root users' MFA seeds. Keep it apart from the vault.",
        f"path = {_toml_str(fsutil.relative(seeds, base))}",
        "# Public keys the store is encrypted to (empty: a passphrase). Changing this list changes",
        "# who can read every seed: review it like a change to a safe's key holders.",
        "recipients = [" + ", ".join(_toml_str(r) for r in recipients) + "]",
        "",
        "[journal]",
        "# Tamper-evident record of every retrieval, enrollment, rotation and retirement.",
        f"path = {_toml_str(fsutil.relative(journal, base))}",
        "",
        "[accounts]",
        "# Root e-mail used when 'enroll' gets no --email; placeholders {name} and {id}.",
        f"email_template = {_toml_str(email_template)}",
        "password_length = 32",
        "",
        "[break_glass]",
        "# Seconds before a password copied with --clip is cleared from the clipboard.",
        "clipboard_seconds = 30",
        "",
    ]
    return "\n".join(lines)


class ConfigFile(fsutil.StoredFile):
    """rootkeeper.toml as text, for the one change a command makes to it: the [seeds] recipients.

    The line is edited in place (comments and other settings stay as they are) and the
    result is parsed again before it can be written.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._original = fsutil.read_bytes(self.path, "configuration")
        self.text = self._original.decode("utf-8")

    def set_recipients(self, recipients: list[str]) -> None:
        table = re.search(r"(?ms)^\[seeds\][ \t]*$(.*?)(?=^\[|\Z)", self.text)
        if table is None:
            raise ConfigError(f"{self.path} has no [seeds] table: add one with the store's path")
        line = "recipients = [" + ", ".join(_toml_str(r) for r in recipients) + "]"
        body = table.group(1)
        new_body, count = re.subn(r"(?ms)^recipients[ \t]*=[ \t]*\[[^\]]*\]", line, body, count=1)
        if count == 0:
            new_body = "\n" + line + body
        text = self.text[:table.start(1)] + new_body + self.text[table.end(1):]
        try:
            parsed = tomllib.loads(text).get("seeds", {}).get("recipients")
        except tomllib.TOMLDecodeError:
            parsed = None
        if parsed != recipients:
            raise ConfigError(f"{self.path}: the [seeds] recipients line could not be rewritten; edit it by hand")
        self.text = text

    def payload(self) -> bytes:
        return self.text.encode("utf-8")

