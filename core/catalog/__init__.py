"""Catalog: products and the reference data (marketplaces, their distribution centers)."""
