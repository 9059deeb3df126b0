"""The managers' dashboard page and its charts."""
