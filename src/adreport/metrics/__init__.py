"""Metrics: the one KPI registry, exchange rates and queries over the unified model."""
