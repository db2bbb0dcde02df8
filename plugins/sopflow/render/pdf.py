"""HTML to PDF with WeasyPrint (imported inside the function: it takes a while to load)."""

from __future__ import annotations

from sopflow.settings import get_settings


def html_to_pdf(html: str, base_url: str | None = None) -> bytes:
    """The PDF of `html`. Relative links (stylesheets, images) resolve against `base_url`,
    by default the templates directory."""
    from weasyprint import HTML

    if base_url is None:
        base_url = str(get_settings().templates_dir) + "/"
    return HTML(string=html, base_url=base_url).write_pdf()
