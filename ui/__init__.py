"""NiceGUI pages and HTTP routes. Pages call core use cases and data read queries."""
