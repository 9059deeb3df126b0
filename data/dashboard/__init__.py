"""Dashboard reads: KPIs, chart series and low-stock alerts."""
