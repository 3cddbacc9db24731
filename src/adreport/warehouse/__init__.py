"""Warehouse: the unified model stored in DuckDB, with versions and provenance."""

from adreport.warehouse.store import ImportCounts, Warehouse

__all__ = ["ImportCounts", "Warehouse"]
