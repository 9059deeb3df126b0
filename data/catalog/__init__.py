"""Catalog storage: products and reference data on their tables."""
