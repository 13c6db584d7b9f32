"""Helpers shared by the Glue job entry scripts (argument parsing, job context)."""
