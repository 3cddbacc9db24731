"""Pulling from the platforms: the sync engine and one sub-package per platform."""
