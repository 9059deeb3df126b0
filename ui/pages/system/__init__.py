"""System pages: backup, and the download route of files the pages offer."""
