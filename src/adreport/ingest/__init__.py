"""Ingest: read exports, parse their values strictly, map them into the unified model."""
