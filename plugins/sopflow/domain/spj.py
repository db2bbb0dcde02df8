"""The SPJ bundle as data, and its validation.

An `SpjDraft` is what a BPP submitted, as typed (an XLSX read by `spj_intake`, or a web form):
the header (Jenis SPP, Tahun Anggaran, Sub Kegiatan, Uraian, Jumlah Total, Email BPP) and the
receipt lines (Rincian), each value still raw (text, int, Decimal or date) and each with the
place it came from. `validate` turns it into an `Spj` of typed values (amounts `Decimal` rupiah)
or raises one `SpjRejected` listing EVERY problem, each naming its row and column in Indonesian
("baris 7, kolom Jumlah (Rincian!F7): '12,5.000' bukan jumlah rupiah yang sah"), so a BPP fixes
the whole file at once.

Checked here: required fields, the SPP type, amounts (text in Indonesian notation or numbers;
not negative, at most two decimals), code formats of spp.yaml, receipt dates inside the fiscal
year, receipt numbers unique in the bundle, taxes not above the amount, lines adding up to the
declared total, attachments (known kind, accepted file) and the attachments the type requires.
Receipt numbers already used in stored bundles are checked by `spj_intake.submit`, which sees
the database.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Callable, Mapping, Sequence

from sopflow.domain.documents import check_upload_bytes
from sopflow.domain.money import MAX_AMOUNT, SEN, format_rupiah, parse_rupiah
from sopflow.domain.spp_checklist import JENIS_SPP, SppConfig, doc_key, missing_documents
from sopflow.domain.staff import EMAIL

HEADER_LABELS = {
    "jenis_spp": "Jenis SPP", "tahun_anggaran": "Tahun Anggaran", "sub_kegiatan": "Sub Kegiatan",
    "uraian": "Uraian", "jumlah_total": "Jumlah Total", "email_bpp": "Email BPP",
}
LINE_LABELS = {
    "no": "No", "tanggal": "Tanggal", "nomor_bukti": "Nomor Bukti", "kode_rekening": "Kode Rekening",
    "uraian": "Uraian", "jumlah": "Jumlah", "penerima": "Penerima", "ppn": "PPN", "pph": "PPh",
}
DATE_FORMATS = ("%d-%m-%Y", "%d/%m/%Y", "%Y-%m-%d")
AFTER_ROWS = 10**12  # sort key: after every row


class _Unreadable:
    """A cell the reader could not read and has reported already: validation skips it."""

    def __repr__(self) -> str:
        return "UNREADABLE"


UNREADABLE = _Unreadable()


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission: where (row and column, or document) and what, in Indonesian.
    `jenis` is "data" (the file cannot be accepted) or "lampiran" (a required attachment is missing)."""

    tempat: str
    masalah: str
    jenis: str = "data"
    urut: int = field(default=0, compare=False, repr=False)

    def __str__(self) -> str:
        return f"{self.tempat}: {self.masalah}"


class SpjRejected(ValueError):
    """A submission refused as a whole; `problems` lists every reason."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = sorted(problems, key=lambda p: p.urut)
        super().__init__("\n".join(str(p) for p in self.problems))


def header_place(name: str, sel: str | None = None) -> str:
    return HEADER_LABELS.get(name, name) + (f" ({sel})" if sel else "")


def line_place(baris: int, name: str, sel: str | None = None) -> str:
    return f"baris {baris}, kolom {LINE_LABELS.get(name, name)}" + (f" ({sel})" if sel else "")


def header_problem(name: str, sel: str | None, masalah: str) -> Problem:
    return Problem(header_place(name, sel), masalah, urut=list(HEADER_LABELS).index(name))


def line_problem(baris: int, name: str, sel: str | None, masalah: str) -> Problem:
    """A problem of one cell of a receipt line; problems are listed by row, then column."""
    return Problem(line_place(baris, name, sel), masalah, urut=100 + baris * 100 + list(LINE_LABELS).index(name))


# --- what was submitted, and what it becomes ---------------------------------------------------------

@dataclass(frozen=True)
class RincianDraft:
    """One receipt line as typed. `baris` is the row as the person sees it (the Excel row number);
    `sel` maps a field to its cell address ("Rincian!F7")."""

    baris: int
    values: Mapping[str, Any]
    sel: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SpjDraft:
    header: Mapping[str, Any]
    rincian: Sequence[RincianDraft] = ()
    sel: Mapping[str, str] = field(default_factory=dict)
    problems: Sequence[Problem] = ()  # cells the reader could not read


@dataclass(frozen=True)
class Lampiran:
    """An attached document: its kind (a document name of spp.yaml), file name and content."""

    jenis: str
    nama_berkas: str
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class Rincian:
    baris: int
    no: int
    tanggal: dt.date
    nomor_bukti: str
    kode_rekening: str
    uraian: str
    jumlah: Decimal
    penerima: str
    ppn: Decimal
    pph: Decimal


@dataclass(frozen=True)
class Spj:
    jenis_spp: str
    tahun_anggaran: int
    bendahara_email: str
    sub_kegiatan: str
    uraian: str
    total: Decimal
    rincian: tuple[Rincian, ...]
    lampiran: tuple[Lampiran, ...]
    # Required attachments that are missing, when validation was told not to refuse for them.
    kekurangan: tuple[Problem, ...] = ()


# --- value parsers: return the value or raise _Bad with the Indonesian reason ---------------------

class _Bad(Exception):
    pass


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any, max_len: int = 250) -> str:
    if isinstance(v, bool) or isinstance(v, (dt.date, dt.datetime)):
        raise _Bad(f"'{v}' bukan teks")
    if isinstance(v, int) or (isinstance(v, Decimal) and v == v.to_integral_value()):
        v = str(int(v))
    if not isinstance(v, str):
        raise _Bad(f"'{v}' bukan teks (tulis sebagai teks)")
    v = " ".join(v.split())
    if len(v) > max_len:
        raise _Bad(f"terlalu panjang ({len(v)} karakter; paling banyak {max_len})")
    return v


def _code(fmt) -> Callable[[Any], str]:
    def parse(v: Any) -> str:
        code = _text(v, 50)
        if not fmt.matches(code):
            raise _Bad(f"'{code}' tidak sesuai format kode (contoh: {fmt.contoh})")
        return code
    return parse


_SEN_TOO_LONG = re.compile(r"^(?:rp\.?\s*)?\d[\d.]*,\d{3,}$", re.IGNORECASE)


def _amount(v: Any, *, positive: bool = True) -> Decimal:
    if isinstance(v, bool) or isinstance(v, float) or isinstance(v, (dt.date, dt.datetime)):
        raise _Bad(f"'{v}' bukan jumlah rupiah yang sah")
    if isinstance(v, str):
        text = v.strip()
        if re.match(r"^(?:rp\.?\s*)?[-\u2212(]", text, re.IGNORECASE):
            raise _Bad(f"'{text}' negatif; jumlah tidak boleh negatif")
        if _SEN_TOO_LONG.match(text):
            raise _Bad(f"'{text}' lebih dari dua angka desimal (sen)")
        try:
            value = parse_rupiah(text)
        except ValueError as exc:
            if "too large" in str(exc):
                raise _Bad(f"'{text}' terlalu besar (paling banyak {format_rupiah(MAX_AMOUNT)})") from None
            raise _Bad(f"'{text}' bukan jumlah rupiah yang sah") from None
    elif isinstance(v, (int, Decimal)):
        value = Decimal(v)
        if not value.is_finite():
            raise _Bad(f"'{v}' bukan jumlah rupiah yang sah")
        if value < 0:
            raise _Bad(f"'{v}' negatif; jumlah tidak boleh negatif")
        if value != value.quantize(SEN):
            raise _Bad(f"'{v}' lebih dari dua angka desimal (sen)")
        if value > MAX_AMOUNT:
            raise _Bad(f"'{v}' terlalu besar (paling banyak {format_rupiah(MAX_AMOUNT)})")
        value = value.quantize(SEN)
    else:
        raise _Bad(f"'{v}' bukan jumlah rupiah yang sah")
    if positive and value == 0:
        raise _Bad("harus lebih dari nol")
    return value


def _tax(v: Any) -> Decimal:
    return Decimal("0.00") if _blank(v) else _amount(v, positive=False)


def _whole(v: Any, what: str) -> int:
    if isinstance(v, bool):
        raise _Bad(f"'{v}' bukan {what}")
    if isinstance(v, Decimal) and v.is_finite() and v == v.to_integral_value():
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"\d{1,9}", v.strip()):
        return int(v.strip())
    raise _Bad(f"'{v}' bukan {what}")


def _year(v: Any) -> int:
    year = _whole(v, "tahun (misalnya 2027)")
    if not 2000 <= year <= 2100:
        raise _Bad(f"'{year}' bukan tahun anggaran yang masuk akal (2000 sampai 2100)")
    return year


def _no(v: Any) -> int:
    n = _whole(v, "nomor urut")
    if n < 1:
        raise _Bad(f"'{n}' bukan nomor urut (mulai dari 1)")
    return n


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if isinstance(v, str):
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(v.strip(), fmt).date()
            except ValueError:
                continue
    raise _Bad(f"'{v}' bukan tanggal yang sah (tulis misalnya 15-03-2027)")


def _jenis(v: Any) -> str:
    text = _text(v, 20).upper().removeprefix("SPP-").removeprefix("SPP ")
    if text not in JENIS_SPP:
        raise _Bad(f"'{v}' bukan jenis SPP (pilih {', '.join(JENIS_SPP)})")
    return text


def _email(v: Any) -> str:
    text = _text(v, 320).lower()
    if not EMAIL.match(text):
        raise _Bad(f"'{text}' bukan alamat email")
    return text


# --- validation ------------------------------------------------------------------------------------

class _Checker:
    def __init__(self, draft: SpjDraft):
        self.draft = draft
        self.problems: list[Problem] = list(draft.problems)

    def add(self, tempat: str, masalah: str, urut: int, jenis: str = "data") -> None:
        self.problems.append(Problem(tempat, masalah, jenis, urut))

    def header(self, name: str, parse: Callable[[Any], Any], *, required: bool = True) -> Any:
        v = self.draft.header.get(name)
        if v is UNREADABLE:
            return None
        if _blank(v):
            if required:
                self.problems.append(header_problem(name, self.draft.sel.get(name), "wajib diisi"))
            return None
        try:
            return parse(v)
        except _Bad as bad:
            self.problems.append(header_problem(name, self.draft.sel.get(name), str(bad)))
            return None

    def cell(self, line: RincianDraft, name: str, parse: Callable[[Any], Any], *, required: bool = True) -> Any:
        v = line.values.get(name)
        if v is UNREADABLE:
            return None
        if _blank(v) and required:
            self.line_problem(line, name, "wajib diisi")
            return None
        try:
            return parse(v)
        except _Bad as bad:
            self.line_problem(line, name, str(bad))
            return None

    def line_problem(self, line: RincianDraft, name: str, masalah: str) -> None:
        self.problems.append(line_problem(line.baris, name, line.sel.get(name), masalah))


def _check_lines(c: _Checker, config: SppConfig, tahun: int | None) -> tuple[list[Rincian], list[Decimal | None]]:
    lines: list[Rincian] = []
    amounts: list[Decimal | None] = []
    seen_bukti: dict[str, int] = {}
    seen_no: dict[int, int] = {}
    for position, line in enumerate(c.draft.rincian, start=1):
        given_no = line.values.get("no")
        no = position if _blank(given_no) else c.cell(line, "no", _no)
        tanggal = c.cell(line, "tanggal", _date)
        bukti = c.cell(line, "nomor_bukti", lambda v: _text(v, 100))
        kode = c.cell(line, "kode_rekening", _code(config.kode_rekening))
        uraian = c.cell(line, "uraian", lambda v: _text(v, 1000))
        jumlah = c.cell(line, "jumlah", _amount)
        penerima = c.cell(line, "penerima", _text)
        ppn = c.cell(line, "ppn", _tax, required=False)
        pph = c.cell(line, "pph", _tax, required=False)
        amounts.append(jumlah)
        if no is not None:
            if no in seen_no:
                c.line_problem(line, "no", f"nomor urut {no} sudah dipakai di baris {seen_no[no]}")
                no = None
            else:
                seen_no[no] = line.baris
        if tanggal is not None and tahun is not None and tanggal.year != tahun:
            c.line_problem(line, "tanggal", f"tanggal {tanggal:%d-%m-%Y} di luar Tahun Anggaran {tahun}")
            tanggal = None
        if bukti is not None:
            key = bukti.casefold()
            if key in seen_bukti:
                c.line_problem(line, "nomor_bukti", f"nomor bukti '{bukti}' sudah dipakai di baris {seen_bukti[key]}")
                bukti = None
            else:
                seen_bukti[key] = line.baris
        if jumlah is not None:
            for name, tax in (("ppn", ppn), ("pph", pph)):
                if tax is not None and tax > jumlah:
                    c.line_problem(line, name, f"{format_rupiah(tax)} melebihi Jumlah {format_rupiah(jumlah)}")
                    ppn, pph = (None, pph) if name == "ppn" else (ppn, None)
            if ppn is not None and pph is not None and ppn + pph > jumlah:
                c.line_problem(line, "pph", f"PPN + PPh {format_rupiah(ppn + pph)} melebihi Jumlah "
                                            f"{format_rupiah(jumlah)}")
                pph = None
        values = (no, tanggal, bukti, kode, uraian, jumlah, penerima, ppn, pph)
        if all(x is not None for x in values):
            lines.append(Rincian(line.baris, *values))
    return lines, amounts


def _check_attachments(c: _Checker, attachments: Sequence[Lampiran], config: SppConfig,
                       jenis_spp: str | None) -> tuple[list[Lampiran], list[Problem]]:
    known = config.known_documents()
    accepted: list[Lampiran] = []
    for a in attachments:
        where = f"lampiran {a.jenis} ({a.nama_berkas})"
        name = known.get(doc_key(a.jenis))
        if name is None:
            c.add(where, f"jenis lampiran '{a.jenis}' tidak dikenal; pilih salah satu dari: "
                         f"{', '.join(known.values())}", AFTER_ROWS + 1)
            continue
        try:
            safe = check_upload_bytes(a.nama_berkas, a.data)
        except ValueError as exc:
            c.add(where, str(exc), AFTER_ROWS + 1)
            continue
        accepted.append(Lampiran(name, safe, a.data))
    missing: list[Problem] = []
    if jenis_spp is not None:
        have = [a.jenis for a in attachments if doc_key(a.jenis) in known]
        missing = [Problem(f.dokumen, f.masalah, "lampiran", AFTER_ROWS + 2)
                   for f in missing_documents(jenis_spp, have, config, "ajuan")]
    return accepted, missing


def validate(draft: SpjDraft, attachments: Sequence[Lampiran], config: SppConfig, *,
             require_attachments: bool = True) -> Spj:
    """The bundle with typed values, or SpjRejected listing every problem.

    With `require_attachments=False`, missing required attachments do not refuse the bundle;
    they are returned in `Spj.kekurangan` (for the Form Koreksi Ajuan).
    """
    c = _Checker(draft)
    jenis_spp = c.header("jenis_spp", _jenis)
    tahun = c.header("tahun_anggaran", _year)
    sub_kegiatan = c.header("sub_kegiatan", _code(config.sub_kegiatan))
    uraian = c.header("uraian", lambda v: _text(v, 2000))
    total = c.header("jumlah_total", _amount)
    email = c.header("email_bpp", _email)

    lines, amounts = _check_lines(c, config, tahun)
    if not draft.rincian and jenis_spp is not None and config.dokumen(jenis_spp).rincian_wajib:
        c.add("Rincian", f"belum ada baris rincian; SPP-{jenis_spp} wajib berisi rincian bukti", AFTER_ROWS)
    if draft.rincian and total is not None and all(a is not None for a in amounts):
        summed = sum(amounts, Decimal("0.00"))
        if summed != total:
            c.add(header_place("jumlah_total", draft.sel.get("jumlah_total")),
                  f"jumlah rincian {format_rupiah(summed)} tidak sama dengan Jumlah Total {format_rupiah(total)} "
                  f"(selisih {format_rupiah(abs(summed - total))})", AFTER_ROWS)

    accepted, missing = _check_attachments(c, attachments, config, jenis_spp)
    if require_attachments:
        c.problems += missing
    if c.problems:
        raise SpjRejected(c.problems)
    return Spj(jenis_spp=jenis_spp, tahun_anggaran=tahun, bendahara_email=email, sub_kegiatan=sub_kegiatan,
               uraian=uraian, total=total, rincian=tuple(lines), lampiran=tuple(accepted),
               kekurangan=tuple(missing))



def check_attachments(attachments: Sequence[Lampiran], config: SppConfig) -> list[Lampiran]:
    """Attachments added to a stored bundle (after a Form Koreksi Ajuan): each of a known kind and
    an accepted file, or SpjRejected naming every one that is not."""
    c = _Checker(SpjDraft(header={}))
    accepted, _ = _check_attachments(c, attachments, config, None)
    if c.problems:
        raise SpjRejected(c.problems)
    if not accepted:
        raise SpjRejected([Problem("lampiran", "tidak ada lampiran yang ditambahkan")])
    return accepted
