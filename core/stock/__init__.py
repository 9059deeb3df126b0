"""Stock: the operations table, movements on the ledger, the stock rules, counts."""
