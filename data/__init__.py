"""Storage: SQLModel tables, engine and sessions, the unit of work, read queries."""
