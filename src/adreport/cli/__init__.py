"""The `adreport` command: a thin face over the library."""

from adreport.cli.main import main

__all__ = ["main"]
