"""The ``docagent`` command line (Typer)."""
