"""The stores: the KeePass vault and the age-encrypted seed store."""
