"""Reads behind /metrics (core.metrics says what each measures)."""
