"""Rendering: Jinja2 templates (`templates`) and PDF (`pdf`, which imports WeasyPrint lazily).

`from sopflow.render import render` is cheap: nothing heavy is imported until a PDF is made.
"""

from sopflow.render.templates import get_environment, render

__all__ = ["get_environment", "render"]
