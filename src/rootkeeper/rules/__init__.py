"""The pure rules and formats: no file, no process, no network."""
