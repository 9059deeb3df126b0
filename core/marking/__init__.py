"""Честный ЗНАК marking codes (issue 16): reading a scanned DataMatrix (codes), what the
packing and returns steps need from storage (ports). Pure: no I/O here."""
