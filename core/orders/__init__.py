"""Orders and their reservations (DESIGN.md §2b, §6 "Orders")."""
