"""Floor reads: where a product lies."""
