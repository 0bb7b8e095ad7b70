"""The root users' virtual-MFA seeds: the file formats and the encrypted store (their import, export
and recipients are workflows: ``workflows/seeds.py``, ``workflows/recipients.py``).

- ``formats``: rows, seed validation, the CSV / pipe-table / otpauth parsers, output;
- ``store``: ``SeedStore``, the age-encrypted file that never holds a password.
"""

from .formats import (
    BASE_HEADER,
    HEADER,
    STATES,
    ParseResult,
    SeedRow,
    check_row,
    normalize_seed,
    parse_import,
    to_csv,
    to_json,
    to_otpauth,
    validate_seed,
)
from .store import AGE_MAGIC, SeedStore, read_identity_file, validate_recipient

__all__ = ["AGE_MAGIC", "BASE_HEADER", "HEADER", "STATES", "ParseResult", "SeedRow", "SeedStore", "check_row",
           "normalize_seed", "parse_import", "read_identity_file", "to_csv", "to_json", "to_otpauth", "validate_recipient",
           "validate_seed"]
