"""Picking tasks in storage (core.orders.picking_ports)."""
