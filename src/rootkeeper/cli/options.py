"""The options of the command line as data (name, flag, metavar, help), without click: what click declares
(``common``, ``app``) and what the quick path reads (``quick``) come from this one table, so the two parsers
cannot read an option differently."""

from __future__ import annotations

# The global options: accepted before or after any command name (cli/common.py's ``common``).
COMMON = [
    ("config", "--config", "FILE", "Configuration file [env ROOTKEEPER_CONFIG; default ./rootkeeper.toml]."),
    ("vault", "--vault", "PATH", "Vault file, overriding the config [env ROOTKEEPER_VAULT]."),
    ("seeds", "--seeds", "PATH", "Seed store file, overriding the config [env ROOTKEEPER_SEEDS]."),
    ("vault_password_file", "--vault-password-file", "FILE",
     "Read the vault password from FILE's first line ('-': stdin) [env ROOTKEEPER_VAULT_PASSWORD]."),
    ("vault_key_file", "--vault-key-file", "FILE",
     "KeePass key file of the vault (init creates it if missing) [env ROOTKEEPER_VAULT_KEY_FILE]."),
    ("seeds_passphrase_file", "--seeds-passphrase-file", "FILE",
     "Read the seed-store passphrase from FILE ('-': stdin) [env ROOTKEEPER_SEEDS_PASSPHRASE]."),
    ("seeds_identity", "--seeds-identity", "FILE",
     "age identity file that opens the seed store [env ROOTKEEPER_SEEDS_IDENTITY]."),
    ("seeds_shares", "--seeds-shares", "FILE",
     "Key shares (the 'mnemonic:' lines of enough share files) that rebuild the seed store's identity in memory "
     "[env ROOTKEEPER_SEEDS_SHARES; their passphrase: ROOTKEEPER_SHARES_PASSPHRASE]."),
    ("journal", "--journal", "PATH", "Journal file, overriding the config [env ROOTKEEPER_JOURNAL]."),
    ("sync_folder", "--sync-folder", "POLICY",
     "Stores in a OneDrive, Dropbox, iCloud or Google Drive folder: 'refuse' changes (default), or 'single-writer' "
     "when this machine is the only one that changes them [env ROOTKEEPER_SYNC_FOLDER]."),
    ("profile", "--profile", "NAME", "AWS profile, for the org commands [env AWS_PROFILE; default: the standard "
                                     "credential chain]."),
    ("region", "--region", "REGION", "AWS region of the STS endpoint [env AWS_REGION, then AWS_DEFAULT_REGION; "
                                     "default: the profile's, else us-east-1]."),
]
DEBUG = ("debug", "--debug", "Show a traceback on failure (may reveal file contents; never use in CI logs).")
# The break-glass retrievals' reason, and the code command's time.
REASON = ("reason", "--reason", "TEXT", "Why root is needed (recorded). Prompted for on a terminal.")
AT = ("at", "--at", "TIME", "Code at this time: Unix seconds or ISO 8601 (default now).")
# Which of an account's virtual MFA devices (seeds): its name as typed in the console, or its ARN.
DEVICE = ("device", "--device", "NAME", "The MFA device whose seed to use, by the name typed in the console or its "
                                        "ARN, when the account has several (default: its first; 'list' names them).")
