"""Label printers on the network (core.labels.printing.LabelPrinter)."""
