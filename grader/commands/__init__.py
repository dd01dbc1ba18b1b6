"""CLI commands that live outside ``grader/cli.py`` (registered there)."""
