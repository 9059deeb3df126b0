"""Stock pages: operations, balances, the journal, low-stock alerts."""
