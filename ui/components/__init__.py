"""Pieces the pages share: the server-paged table, the product picker, feedback, downloads."""
