"""The `fairclick` command line (Typer + Rich). Commands translate argv and call services."""
