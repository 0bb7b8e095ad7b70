"""Stores in a sync folder (OneDrive, Dropbox, iCloud Drive, Google Drive): one writer, conflict copies seen,
online-only files named with the fix. A sync client's folder is recognised as the clients mark it: a marker at
its root (Dropbox's .dropbox, Syncthing's .stfolder), the OneDrive variables Windows sets, the folder names."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import assert_clean_failure, base_env, random_seed, run, snapshot

from rootkeeper.errors import InputError
from rootkeeper.storage import syncfolder


def test_changes_in_a_sync_folder_are_refused_unless_this_machine_is_its_one_writer_and_break_glass_still_reads(home):
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=random_seed(), check=True)
    (home.root / ".dropbox").write_text("{}")  # the stores are now inside a Dropbox folder
    before = snapshot(home.root)
    refused = home.rk("enroll", "000000000002", "--name", "b", "--seed-file", "-", input=random_seed())
    assert_clean_failure(refused, 2, "Dropbox folder")
    assert "--sync-folder single-writer" in refused.err
    assert snapshot(home.root) == before  # nothing written, nothing recorded
    code = home.rk("code", "a", "--reason", "break glass from the synced folder")  # reading is always allowed
    assert code.returncode == 0, code.err
    assert code.out.strip().isdigit()
    env = {**base_env(), "ROOTKEEPER_SYNC_FOLDER": "single-writer"}
    home.rk("enroll", "000000000002", "--name", "b", "--seed-file", "-", input=random_seed(), env=env, check=True)
    home.rk("enroll", "000000000003", "--name", "c", "--seed-file", "-", "--sync-folder", "single-writer",
            input=random_seed(), check=True)
    assert "000000000003" in home.rk("list", check=True).out
    wrong = home.rk("list", "--sync-folder", "sometimes")
    assert_clean_failure(wrong, 2, "single-writer")


def test_init_refuses_a_onedrive_folder_named_by_windows_or_by_its_name(tmp_path):
    for folder, env in ((tmp_path / "OneDrive - Contoso" / "aws", {}),
                        (tmp_path / "work" / "aws", {"OneDriveCommercial": str(tmp_path / "work")})):
        (folder / "vault").mkdir(parents=True)
        (folder / "seeds").mkdir()
        result = run(["init", "--vault", folder / "vault" / "v.kdbx", "--seeds", folder / "seeds" / "s.age",
                      "--seeds-recipient", "age1" + "q" * 58], cwd=folder, env={**base_env(), **env})
        assert_clean_failure(result, 2, "OneDrive folder")
        assert sorted(p.name for p in folder.rglob("*")) == ["seeds", "vault"]


def test_a_conflict_copy_beside_a_store_is_named_when_read_and_refuses_every_change(home):
    home.rk("enroll", "000000000001", "--name", "a", "--seed-file", "-", input=random_seed(), check=True)
    copy = home.vault.with_name(f"{home.vault.stem} (Ann's conflicted copy 2026-12-01){home.vault.suffix}")
    copy.write_bytes(home.vault.read_bytes())
    listed = home.rk("list", check=True)
    assert "conflicted copy" in listed.err and "compare the two" in listed.err
    before = snapshot(home.root)
    refused = home.rk("enroll", "000000000002", "--name", "b", "--seed-file", "-", input=random_seed(),
                      env={**base_env(), "ROOTKEEPER_SYNC_FOLDER": "single-writer"})
    assert_clean_failure(refused, 2, "conflict copy")
    assert snapshot(home.root) == before
    copy.unlink()
    home.rk("enroll", "000000000002", "--name", "b", "--seed-file", "-", input=random_seed(), check=True)


@pytest.mark.parametrize("name, synced", [
    ("aws-root (Ann's conflicted copy 2026-12-01).kdbx", False),  # Dropbox
    ("aws-root (conflicted copy 2026-12-01 101500).kdbx", False),  # Nextcloud
    ("aws-root_conflict-20261201-101500.kdbx", False),  # ownCloud
    ("aws-root.sync-conflict-20261201-101500-ABCDEFG.kdbx", False),  # Syncthing
    ("aws-root-LAPTOP42.kdbx", True),  # OneDrive: the other machine's name
    ("aws-root (1).kdbx", True),  # Google Drive
    ("aws-root 2.kdbx", True),  # iCloud Drive
])
def test_each_clients_conflict_copy_is_recognised(tmp_path, name, synced):
    root = tmp_path / ("OneDrive" if synced else "share")
    root.mkdir()
    store = root / "aws-root.kdbx"
    store.write_bytes(b"x")
    (root / name).write_bytes(b"y")
    (root / "aws-root-backup.kdbx").write_bytes(b"z")  # a name a person chose is no conflict copy
    assert syncfolder.conflict_copies(store) == [root / name]
    with pytest.raises(InputError, match="conflict copy"):
        syncfolder.check_writes([store])


def test_an_online_only_file_is_told_apart_from_one_kept_on_this_device():
    recall_on_data_access, pinned, offline, dataless = 0x400000, 0x80000, 0x1000, 0x40000000
    assert syncfolder.online_only(attributes=recall_on_data_access)
    assert syncfolder.online_only(attributes=offline)
    assert syncfolder.online_only(flags=dataless)  # macOS: an evicted iCloud file
    assert not syncfolder.online_only(attributes=recall_on_data_access | pinned)  # "always keep on this device"
    assert not syncfolder.online_only(attributes=0x20)  # an ordinary archived file


def test_an_online_only_store_that_cannot_be_read_says_how_to_keep_it_here(tmp_path, monkeypatch):
    from rootkeeper.errors import NotFoundError
    from rootkeeper.storage import fsutil

    store = tmp_path / "aws-root.kdbx"
    store.write_bytes(b"x")
    real_stat = os.stat

    class Placeholder:
        def __init__(self, info):
            self._info, self.st_file_attributes = info, 0x400000

        def __getattr__(self, name):
            return getattr(self._info, name)

    monkeypatch.setattr(os, "stat", lambda p, *a, **k: Placeholder(real_stat(p, *a, **k)))

    def unavailable(*_args, **_kwargs):
        raise OSError(22, "The cloud file provider is not running")  # Windows' error 362, as Python gives it

    monkeypatch.setattr("builtins.open", unavailable)
    with pytest.raises(NotFoundError, match="Always keep on this device"):
        fsutil.read_bytes(Path(store), "vault")
    assert "break glass without a network" in syncfolder.placeholder(store)
