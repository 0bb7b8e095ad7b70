"""Windows' rules for secret files and long paths, as pure functions (the calls into Windows run on Windows, in
.github/workflows/platforms.yml)."""

from __future__ import annotations

import pytest

from rootkeeper.storage import fsutil, winacl

ME = "S-1-5-21-1004336348-1177238915-682003330-1001"


@pytest.mark.parametrize("sddl, alone", [
    (f"D:P(A;;FA;;;{ME})", True),  # what rootkeeper creates: protected, the user alone
    (f"O:{ME}G:DUD:P(A;;FA;;;{ME})(D;;FA;;;WD)", True),  # a deny entry lets no one else in
    (f"D:(A;;FA;;;{ME})", False),  # not protected: the folder's entries are inherited
    (f"D:P(A;;FA;;;{ME})(A;;FR;;;BU)", False),  # every user of the machine may read it
    (f"D:PAI(A;;FA;;;{ME})(A;ID;0x1200a9;;;S-1-5-21-1-2-3-513)", False),  # a team share's group, inherited
    ("D:NO_ACCESS_CONTROL", False),  # a null DACL: everyone
    ("", False),  # none at all (FAT, exFAT)
    (None, False),
])
def test_a_secret_file_is_the_users_alone_only_with_a_protected_access_list_granting_no_one_else(sddl, alone):
    assert winacl.owner_only(sddl, ME) is alone


def test_a_path_past_260_characters_takes_the_form_windows_reads_without_the_limit():
    deep = "C:\\Users\\ann\\OneDrive - Contoso\\" + "\\".join(["a-long-folder-name-of-a-team"] * 9) + "\\vault.kdbx"
    assert len(deep) > 260
    assert fsutil.long_path(deep) == "\\\\?\\" + deep
    share = "\\\\fileserver\\team\\" + "x" * 250
    assert fsutil.long_path(share) == "\\\\?\\UNC\\fileserver\\team\\" + "x" * 250
    assert fsutil.long_path("C:\\short\\vault.kdbx") == "C:\\short\\vault.kdbx"
    assert fsutil.long_path("\\\\?\\" + deep) == "\\\\?\\" + deep  # never twice
