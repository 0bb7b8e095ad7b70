"""What a message may show of a value that could be a secret: decided by what the value is (a path the
user gave, a public key), not by its shape (how many '/' or '.' it has, how long it is)."""

from __future__ import annotations

import pyrage
import pytest

from rootkeeper.rules.redaction import shown_key, shown_path

SECRETS = ["Xy7!kQ9#mZ2$wR5%tL8", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "correct horse battery staple", "p/ss.w0rd",
           str(pyrage.x25519.Identity.generate())]


def test_a_path_is_shown_however_many_separators_and_dots_it_has(tmp_path, monkeypatch):
    deep = tmp_path / "team.share" / "root-keys.d" / "2026.q4"
    deep.mkdir(parents=True)
    (deep / "typed-lines.v2.txt").write_text("")
    monkeypatch.chdir(tmp_path)
    for given in (str(deep / "typed-lines.v2.txt"), "team.share/root-keys.d/2026.q4/typed-lines.v2.txt",
                  str(deep / "alice.agekey"), "team.share/root-keys.d/2026.q4", "typed.txt"):
        assert shown_path(given) == repr(given)


@pytest.mark.parametrize("secret", SECRETS)
def test_a_secret_pasted_where_a_file_name_belongs_is_not_shown(tmp_path, monkeypatch, secret):
    monkeypatch.chdir(tmp_path)
    assert shown_path(secret) == f"<{len(secret)} characters, not shown>"


def test_an_age_secret_key_is_never_shown_even_written_as_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "keys").mkdir()
    given = f"keys/{pyrage.x25519.Identity.generate()}.txt"
    assert "not shown" in shown_path(given)


def test_a_public_key_is_shown_even_mistyped_and_a_secret_key_never():
    public = str(pyrage.x25519.Identity.generate().to_public())
    for given in (public, public[:-1], public.upper()):
        assert shown_key(given) == repr(given)
    secret = str(pyrage.x25519.Identity.generate())
    assert "not shown" in shown_key(secret) and "not shown" in shown_key(secret.lower())
