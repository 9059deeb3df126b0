"""Package labels for shipping (DESIGN.md §2b.4, §6 "Packing and shipping"): what a
label says (`package.py`: the label and its ZPL), marketplace product stickers
(`stickers.py`), and the printer port, its address rules and `print_zpl`
(`printing.py`). Pure: no sockets, no files; `data.printing` and `data.files` do the I/O."""
