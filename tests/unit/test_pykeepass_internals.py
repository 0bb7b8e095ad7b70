"""The pykeepass internals the vault relies on, named one by one (pykeepass has no public API for them):
a pykeepass release that changes one fails here, before anything reads a vault with it. Only
``rootkeeper/stores/vault.py`` uses them (tests/unit/test_import_rules.py keeps pykeepass there)."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime


def test_the_two_readers_the_vault_replaces_keep_their_signature_and_selection():
    from pykeepass.kdbx_parsing import common

    for adapter in (common.Decompressed, common.UnprotectedStream):
        assert list(inspect.signature(adapter._decode).parameters)[2:] == ["con", "path"]
    # _unprotect decrypts exactly the values this XPath selects, in document order (vault._walk)
    assert common.UnprotectedStream.protected_xpath == "//Value[@Protected='True']"
    for stream in (common.ARCFourVariantStream, common.Salsa20Stream, common.ChaCha20Stream):  # KDBX 3.1 and 4
        assert issubclass(stream, common.UnprotectedStream) and callable(stream.get_cipher)
    assert "protected_stream_key" in inspect.signature(common.UnprotectedStream.__init__).parameters
    assert callable(common.compute_key_composite)


def test_the_header_the_kdf_and_the_template_are_where_the_vault_reads_them():
    import io

    from pykeepass import PyKeePass
    from pykeepass.kdbx_parsing.kdbx import KDBX
    from pykeepass.pykeepass import BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD

    kp = PyKeePass(BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD)
    params = kp.kdbx.header.value.dynamic_header.kdf_parameters.data.dict
    assert {"$UUID", "S", "M", "I", "P"} <= set(params) and hasattr(params["M"], "value")
    with open(BLANK_DATABASE_LOCATION, "rb") as handle:
        assert KDBX.header.parse(handle.read()).value.major_version == 4
    buffer = io.BytesIO()
    kp.save(buffer, transformed_key=kp.transformed_key)  # a save reusing the derived key
    assert buffer.getvalue()[:4] == bytes.fromhex("03d9a29a")
    assert isinstance(kp.binaries, list)


def test_entries_and_groups_expose_their_lxml_element_and_times_encode_as_kdbx4():
    import base64

    from pykeepass import PyKeePass
    from pykeepass.pykeepass import BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD

    kp = PyKeePass(BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD)
    entry = kp.add_entry(kp.root_group, "t", "u", "p")
    assert entry._element.tag == "Entry" and kp.root_group._element.tag == "Group"
    when = datetime(2026, 12, 1, tzinfo=UTC)
    seconds = int((when - datetime(1, 1, 1, tzinfo=UTC)).total_seconds())
    assert base64.b64decode(kp._encode_time(when)) == seconds.to_bytes(8, "little")
