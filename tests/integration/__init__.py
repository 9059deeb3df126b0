"""Use cases, stores and queries on real SQLite and PostgreSQL databases."""
