"""Redis Streams (DESIGN.md §7): the order feed read by the WMS and its dead letters."""
