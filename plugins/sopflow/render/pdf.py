"""HTML to PDF with WeasyPrint (imported inside the function: it takes a while to load).

One FontConfiguration serves every render of the process: with a new one per call WeasyPrint 70
keeps each render's fonts alive, about 0.23 MB a PDF (a batch of 2,000 SPJ bundles, 7 PDFs each,
would hold 3 GB); shared, memory stays flat (see docs/decisions.md). A lock keeps renders of the
web app's threads from sharing it at the same moment.
"""

from __future__ import annotations

import threading

from sopflow.settings import get_settings

_lock = threading.Lock()
_font_config = None


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of `html`. Relative links (stylesheets, images) resolve against `base_url`,
    by default the templates directory."""
    global _font_config
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    if base_url is None:
        base_url = str(get_settings().templates_dir) + "/"
    with _lock:
        if _font_config is None:
            _font_config = FontConfiguration()
        return HTML(string=html, base_url=base_url).write_pdf(font_config=_font_config)
