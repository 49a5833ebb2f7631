"""Serve plotly.js from the plotly Python package itself.

The app must work on a network with no internet, so no CDN; and copying the
3.5 MB bundle into the repository would let it drift from the Python
package's version. This finder exposes the package's own file as
`static/vendor/plotly.min.js` to runserver, WhiteNoise and collectstatic.
"""

from __future__ import annotations

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).resolve().parent / "package_data"
PLOTLY_FILE = "plotly.min.js"
PREFIX = "vendor"
STATIC_PATH = f"{PREFIX}/{PLOTLY_FILE}"


class PlotlyFinder(BaseFinder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage = FileSystemStorage(location=str(PLOTLY_DIR))
        self.storage.prefix = PREFIX

    def check(self, **kwargs):
        return []

    def find(self, path, find_all=False, **kwargs):
        # Django 5.2 renamed `all` to `find_all`; accept both.
        find_all = find_all or kwargs.get("all", False)
        if path != STATIC_PATH:
            return [] if find_all else None
        match = str(PLOTLY_DIR / PLOTLY_FILE)
        return [match] if find_all else match

    def list(self, ignore_patterns):
        yield PLOTLY_FILE, self.storage
