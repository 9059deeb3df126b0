"""Floor pages for workers on a tablet."""
