"""Catalog pages: products, the product card, reference data."""
