"""Pages (NiceGUI simulation and Chromium), the REST API over HTTP, the app as a process."""
