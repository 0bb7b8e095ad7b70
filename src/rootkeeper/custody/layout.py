"""``custody init``: a commented plan of the write-up's own layout, which passes ``custody check``.

A network share and four USB drives, with printed sets, at two sites: at each site one safe
holds a vault drive and the filled-in emergency sheet, another a seed drive and the seed sheet;
the share holds the vault. Vault custodians know the master password, seed custodians the
seed-store passphrase, and no one reaches both sides.
"""

from __future__ import annotations

WRITE_UP_PLAN = '''\
# rootkeeper custody plan (version 1): where every copy lives and who can reach it.
# 'rootkeeper custody check PLAN' proves it against the threat model; this one is the layout of
# the write-up the tool automates, and it passes. Edit the names and labels to match your own.
version = 1

[stores]
vault_key_file = false     # true if the vault needs a key file (then plan where its copies are)
seeds_key = "passphrase"   # "passphrase", or "identity" (age X25519; key shares can split it)
# shares_threshold = 2     # with seeds_key = "identity": how many key shares rebuild the identity
# shares_recipient = "age1..."  # and the public key printed on every share (the identity they rebuild)
# 'custody check' compares this with the configured stores: every recipient of the seed store must be
# placed (a medium's recipient, or shares_recipient), and every key placed must be a recipient.

[policy]
min_copies = { vault = 2, seeds = 2, emergency-sheet = 2, seed-sheet = 2 }
offsite_required = true    # every artefact has a copy at an off-site place
two_person_rule = true     # no custodian alone reaches the key-share threshold, nor the identity
keep_sites_apart = false   # true if your sites, not places within them, keep passwords and seeds apart
                           # (here each site has both sides, in different safes)

# ---------------------------------------------------------------- sites and places
[[site]]
name = "office"

[[site]]
name = "offsite"
description = "bank safe-deposit boxes"

[[place]]
name = "server-room"
site = "office"

[[place]]
name = "office-safe-a"     # the password side
site = "office"
# keyholders = 2           # a dual-control safe: opened only by two custodians together

[[place]]
name = "office-safe-b"     # the seed side
site = "office"

[[place]]
name = "bank-box-a"
site = "offsite"
offsite = true

[[place]]
name = "bank-box-b"
site = "offsite"
offsite = true

# ---------------------------------------------------------------- media and what they carry
# kinds: usb, share, paper, device (a person's laptop, phone or hardware key: holder = "alice", no place),
# memory, security-key and hardware-token (root's FIDO key or TOTP token itself, at a place or with a holder:
# devices = { "111122223333" = "arn:aws:iam::111122223333:u2f/root/yubikey-1-..." }; 'custody add-device').
# Artefacts: vault, vault-key, emergency-sheet (password side); seeds, seeds-identity, seed-sheet,
# key-share:K (seed side; K the share's number). A printed emergency sheet has the master password
# written on it by hand; its PDF on a drive does not. A medium carrying seeds-identity says whose:
# recipient = "age1..." (its public key). path = "/media/usb-2": where it is mounted, so that
# 'media write ARTEFACT usb-seeds-2 --plan PLAN' and 'drill --plan PLAN' take the medium's name.
[[medium]]
name = "share"
kind = "share"
label = "network share, RBAC: security admins"
place = "server-room"
carries = ["vault"]

[[medium]]
name = "usb-vault-1"
kind = "usb"
label = "USB 1 (blue)"
place = "office-safe-a"
carries = ["vault", "emergency-sheet"]

[[medium]]
name = "paper-vault-1"
kind = "paper"
label = "emergency sheet, filled in"
place = "office-safe-a"
carries = ["emergency-sheet"]

[[medium]]
name = "usb-seeds-1"
kind = "usb"
label = "USB 2 (red)"
place = "office-safe-b"
carries = ["seeds"]

[[medium]]
name = "paper-seeds-1"
kind = "paper"
label = "seed sheet"
place = "office-safe-b"
carries = ["seed-sheet"]

[[medium]]
name = "usb-vault-2"
kind = "usb"
label = "USB 3 (blue)"
place = "bank-box-a"
carries = ["vault", "emergency-sheet"]

[[medium]]
name = "paper-vault-2"
kind = "paper"
label = "emergency sheet, filled in"
place = "bank-box-a"
carries = ["emergency-sheet"]

[[medium]]
name = "usb-seeds-2"
kind = "usb"
label = "USB 4 (red)"
place = "bank-box-b"
carries = ["seeds"]

[[medium]]
name = "paper-seeds-2"
kind = "paper"
label = "seed sheet"
place = "bank-box-b"
carries = ["seed-sheet"]

# ---------------------------------------------------------------- custodians
# reaches: places (everything there) and media; knows: vault-password, seeds-passphrase.
[[custodian]]
name = "alice"
reaches = ["share", "office-safe-a", "bank-box-a"]
knows = ["vault-password"]

[[custodian]]
name = "carol"
reaches = ["share", "office-safe-a"]
knows = ["vault-password"]

[[custodian]]
name = "bob"
reaches = ["office-safe-b", "bank-box-b"]
knows = ["seeds-passphrase"]

[[custodian]]
name = "dave"
reaches = ["office-safe-b"]
knows = ["seeds-passphrase"]
'''
