"""The floor (DESIGN.md §2a): locations inside a warehouse, handling units, executors,
missions and counts."""
