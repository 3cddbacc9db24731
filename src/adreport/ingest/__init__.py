"""Ingest: read exports, parse values strictly, map them into the unified model."""
