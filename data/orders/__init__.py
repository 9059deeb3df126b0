"""Orders in the database: the repository (uow.orders) and the read queries."""
