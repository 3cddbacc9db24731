"""Passwords, tokens, secrets at rest."""
