"""Packing tasks and packages in the database (DESIGN.md §2b.3–4)."""
