"""Storage: atomic files and locks, the journal, the transaction, configuration and settings."""
