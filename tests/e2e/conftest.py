"""The real app and headless Chromium (defined in test_e2e_browser.py) for every browser
test module, not only the one that defines them."""

from tests.e2e.test_e2e_browser import app_url, browser

__all__ = ["app_url", "browser"]
