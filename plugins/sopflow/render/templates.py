"""The Jinja2 environment over `include/templates/` (or SOPFLOW_TEMPLATES_DIR).

- `StrictUndefined`: a value missing from the context raises `jinja2.UndefinedError` at render
  time, so a half-filled mail or document is never produced (pass None explicitly for "none").
- Autoescape for `.html`/`.htm`/`.xml`; `.txt` templates are plain text.
- Filters: `tanggal` (aware datetime -> "Senin, 7 Desember 2026 pukul 09.00 WIB", Asia/Jakarta,
  via babel's Indonesian locale), `tanggal_singkat` ("07-12-2026 09.00 WIB"), `tanggal_tanpa_jam`
  ("7 Desember 2026"), `menit`
  (420 -> "420 menit (7 jam)", None -> "tidak ditetapkan"), `baris` (text with newlines -> HTML
  lines joined by `<br>`, escaped; so HTML output never depends on newline characters),
  `rupiah` (Decimal -> "Rp 1.234.567,00") and `terbilang` (Decimal -> "Satu juta seribu rupiah":
  the words of `domain.money.terbilang`, capitalised as they start a sentence or a box).
- A template named `*.subject.txt` is rendered to one line (whitespace collapsed).
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from sopflow.domain.money import format_rupiah, terbilang as _terbilang
from sopflow.settings import get_settings

JAKARTA = ZoneInfo("Asia/Jakarta")
LOCALE = "id"
NOT_SET = "tidak ditetapkan"

_lock = threading.Lock()
_environments: dict[Path, Environment] = {}


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the time zone is unknown; pass an aware datetime")
    return value


def tanggal(value: dt.datetime | dt.date | None) -> str:
    """'Senin, 7 Desember 2026 pukul 09.00 WIB' (a date alone: 'Senin, 7 Desember 2026')."""
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return format_datetime(_aware(value), "EEEE, d MMMM y 'pukul' HH.mm z", tzinfo=JAKARTA, locale=LOCALE)
    return format_date(value, "EEEE, d MMMM y", locale=LOCALE)


def tanggal_singkat(value: dt.datetime | dt.date | None) -> str:
    """'07-12-2026 09.00 WIB', for tables."""
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        return format_datetime(_aware(value), "dd-MM-y HH.mm z", tzinfo=JAKARTA, locale=LOCALE)
    return format_date(value, "dd-MM-y", locale=LOCALE)


def tanggal_tanpa_jam(value: dt.datetime | dt.date | None) -> str:
    """'7 Desember 2026' (the Asia/Jakarta date of a datetime), as dated under a signature."""
    if value is None:
        return "-"
    if isinstance(value, dt.datetime):
        value = _aware(value).astimezone(JAKARTA).date()
    return format_date(value, "d MMMM y", locale=LOCALE)


def menit(value: int | None) -> str:
    """420 -> '420 menit (7 jam)', 90 -> '90 menit (1 jam 30 menit)', 30 -> '30 menit'."""
    if value is None:
        return NOT_SET
    value = int(value)
    if value < 60:
        return f"{value} menit"
    hours, minutes = divmod(value, 60)
    inner = f"{hours} jam" + (f" {minutes} menit" if minutes else "")
    return f"{value} menit ({inner})"


def baris(value: str | None) -> Markup:
    """Escape `value` and join its lines with <br>."""
    if value is None:
        return Markup("")
    return Markup("<br>").join(escape(line) for line in str(value).splitlines())


def terbilang(value: object) -> str:
    """The amount in words, first letter capitalised: 'Tiga juta ... rupiah lima puluh sen'."""
    words = _terbilang(value)
    return words[:1].upper() + words[1:]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _build(directory: Path) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(directory)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=False, default=False),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        tanggal=tanggal, tanggal_singkat=tanggal_singkat, tanggal_tanpa_jam=tanggal_tanpa_jam, menit=menit, baris=baris,
        rupiah=format_rupiah, terbilang=terbilang,
    )
    env.globals["now"] = _now
    return env


def get_environment(templates_dir: str | Path | None = None) -> Environment:
    """The environment for `templates_dir` (default: settings), built once per directory."""
    directory = Path(templates_dir or get_settings().templates_dir).resolve()
    with _lock:
        env = _environments.get(directory)
        if env is None:
            env = _environments[directory] = _build(directory)
        return env


def render(template_name: str, **context: object) -> str:
    """Render `template_name` (a path under the templates directory, e.g. 'email/task.html')."""
    text = get_environment().get_template(template_name).render(**context)
    if template_name.endswith(".subject.txt"):
        text = " ".join(text.split())
    return text
