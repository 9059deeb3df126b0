"""Dashboard measures: which operations each KPI counts."""
