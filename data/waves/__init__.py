"""Waves and batches (core.orders.waves, core.orders.batches)."""
