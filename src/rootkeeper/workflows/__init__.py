"""The workflows, one module per command family, named like the command."""
