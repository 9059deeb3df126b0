"""Marking codes (core.marking): the repository in a unit of work and the reads."""
