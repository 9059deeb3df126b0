"""Stock storage: the ledger's aggregates (daily and monthly flows)."""
