"""What stickers are printed from: products, a receipt's lines, the stations' printers
(core.labels.stickers builds the stickers)."""
