"""What the SPP/SPM documents and registers of SOP VIII say, as frozen dataclasses.

Built from plain values (strings, dates, `Decimal` rupiah), not from ORM rows, so the renderer
(`sopflow.render.spp`) does not depend on how bundles are stored: whoever loads a bundle maps
it to `BundleData` once. The dataclasses check what every document relies on (a known jenis
SPP, amounts that are rupiah with at most two decimals, receipt dates inside the fiscal year, a
total equal to the sum of the lines), so a document can never print figures that do not add up.

Who signs what (see `render.spp`): the bundle's bendahara (BPP or BP) and the PPK SKPD sign the
SPP; the PA, or the KPA when `Signatories.penandatangan_spm == "kpa"`, signs the SPM, both SPTJM,
the Pengesahan SPJ (with the PPK) and the Rekap SPM; the KPA sends the Nota Dinas to the PA; the
PA signs the Suket Pengajuan Pencairan Dana.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Iterable, Literal, Sequence

from sopflow.domain.money import MAX_AMOUNT, SEN, parse_rupiah

JENIS_SPP = ("UP", "GU", "TU", "LS")
ZERO = Decimal("0.00")

# Document kinds, with the name the decree's checklists (SOP VIII steps 10 and 12) give them.
DOCUMENT_KINDS: dict[str, str] = {
    "spp": "SPP",
    "pengesahan_spj": "Pengesahan SPJ",
    "spm": "Lembar SPM",
    "nota_dinas_spm": "Nota Dinas pengajuan SPM",
    "sptjm_spp": "SPTJM SPP",
    "sptjm_spm": "SPTJM SPM",
    "rekap_spm": "Rekap SPM",
    "suket_pencairan": "Suket Pengajuan Pencairan Dana",
    "form_koreksi_ajuan": "Form Koreksi Ajuan",
}

# Numbers a document cannot be printed without. SOP VIII gives the BKU number at step 7, then
# prints SPP and Pengesahan SPJ (step 8) and the SPM papers (step 9); the Form Koreksi Ajuan
# comes before any numbering (steps 4-6).
REQUIRED_NUMBERS: dict[str, tuple[str, ...]] = {
    "spp": ("nomor_spp", "nomor_bku"),
    "pengesahan_spj": ("nomor_spp", "nomor_bku"),
    "spm": ("nomor_spp", "nomor_spm", "nomor_bku"),
    "nota_dinas_spm": ("nomor_spm",),
    "sptjm_spp": ("nomor_spp",),
    "sptjm_spm": ("nomor_spm",),
    "rekap_spm": ("nomor_spp", "nomor_spm", "nomor_bku"),
    "suket_pencairan": ("nomor_spp", "nomor_spm"),
    "form_koreksi_ajuan": (),
}


def rupiah_amount(value: Decimal | int | str, what: str = "amount") -> Decimal:
    """`value` as Decimal rupiah with two decimals; floats, negatives and a third decimal refused.
    Text is read the Indonesian way (`money.parse_rupiah`)."""
    if isinstance(value, (bool, float)) or not isinstance(value, (Decimal, int, str)):
        raise TypeError(f"{what} must be a Decimal, an int or Indonesian text, not {type(value).__name__} {value!r}")
    if isinstance(value, str):
        return parse_rupiah(value)
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise ValueError(f"{what} must be a non-negative amount, got {value}")
    if value != value.quantize(SEN):
        raise ValueError(f"{what} has more than two decimals (sen): {value}")
    if value > MAX_AMOUNT:
        raise ValueError(f"{what} is too large (at most {MAX_AMOUNT}): {value}")
    return value.quantize(SEN)


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be non-empty text, got {value!r}")
    return value.strip()


def _number(value: Any, what: str) -> str | None:
    return None if value is None else _text(value, what)


@dataclass(frozen=True)
class Official:
    """A person as printed under a signature: name, NIP and their jabatan (e.g. "Sekretaris Daerah")."""

    nama: str
    nip: str
    jabatan: str

    def __post_init__(self) -> None:
        for name in ("nama", "nip", "jabatan"):
            object.__setattr__(self, name, _text(getattr(self, name), f"official.{name}"))

    @classmethod
    def of(cls, person: Any) -> "Official":
        """From anything with `nama`, `nip` and `jabatan` (a staff directory `Person`, say)."""
        return cls(nama=person.nama, nip=person.nip, jabatan=person.jabatan)


@dataclass(frozen=True)
class Signatories:
    """The officials of a bundle. `penandatangan_spm` says who signs the SPM papers ("pa" by
    default, as SOP VIII step 12; "kpa" where the PA has delegated). The verifikator is printed
    on the Form Koreksi Ajuan; without one the form leaves a blank for the name."""

    ppk: Official
    kpa: Official
    pa: Official
    bp: Official
    verifikator: Official | None = None
    penandatangan_spm: Literal["pa", "kpa"] = "pa"

    def __post_init__(self) -> None:
        if self.penandatangan_spm not in ("pa", "kpa"):
            raise ValueError(f"penandatangan_spm must be 'pa' or 'kpa', got {self.penandatangan_spm!r}")

    @property
    def pengguna(self) -> Official:
        """Who signs the SPM, SPTJM, Pengesahan SPJ and Rekap SPM."""
        return self.pa if self.penandatangan_spm == "pa" else self.kpa

    @property
    def pengguna_peran(self) -> str:
        return "Pengguna Anggaran" if self.penandatangan_spm == "pa" else "Kuasa Pengguna Anggaran"


def signatories_from_staff(staff: Any, *, penandatangan_spm: Literal["pa", "kpa"] = "pa") -> Signatories:
    """The officials from a staff directory: the first member of ppk_skpd, kpa, pa, bp and
    (if the role exists) verifikator. Plh/Plt signing is not handled here: pass a `Signatories`
    built by hand for a day with a stand-in."""
    def one(role: str) -> Official:
        members = staff.members(role)
        if not members:
            raise ValueError(f"the staff directory has no {role!r}")
        return Official.of(members[0])

    verifikator = one("verifikator") if "verifikator" in staff.roles and staff.members("verifikator") else None
    return Signatories(ppk=one("ppk_skpd"), kpa=one("kpa"), pa=one("pa"), bp=one("bp"), verifikator=verifikator,
                       penandatangan_spm=penandatangan_spm)


@dataclass(frozen=True)
class Line:
    """One receipt (bukti pengeluaran) of an SPJ. `ppn` and `pph` are the taxes on it."""

    tanggal: dt.date
    nomor_bukti: str
    kode_rekening: str
    uraian: str
    jumlah: Decimal
    penerima: str
    ppn: Decimal = ZERO
    pph: Decimal = ZERO

    def __post_init__(self) -> None:
        if not isinstance(self.tanggal, dt.date) or isinstance(self.tanggal, dt.datetime):
            raise TypeError(f"line tanggal must be a date, got {self.tanggal!r}")
        for name in ("nomor_bukti", "kode_rekening", "uraian", "penerima"):
            object.__setattr__(self, name, _text(getattr(self, name), f"line {name}"))
        for name in ("jumlah", "ppn", "pph"):
            object.__setattr__(self, name, rupiah_amount(getattr(self, name), f"line {self.nomor_bukti} {name}"))
        if self.ppn + self.pph > self.jumlah:
            raise ValueError(f"line {self.nomor_bukti}: taxes ({self.ppn} + {self.pph}) exceed the amount {self.jumlah}")

    @property
    def pajak(self) -> Decimal:
        return self.ppn + self.pph


@dataclass(frozen=True)
class AccountTotal:
    """The lines of one kode rekening, summed (the rows of SPP, SPM and Rekap SPM)."""

    kode_rekening: str
    uraian: str
    jumlah: Decimal
    ppn: Decimal
    pph: Decimal
    bukti: int

    @property
    def pajak(self) -> Decimal:
        return self.ppn + self.pph


def totals_by_account(lines: Iterable[Line], names: dict[str, str] | None = None) -> tuple[AccountTotal, ...]:
    """One `AccountTotal` per kode rekening, in code order. The row's uraian is `names[kode]` when
    given (the account's name from the chart of accounts), else the first line's uraian."""
    groups: dict[str, list[Line]] = {}
    for line in lines:
        groups.setdefault(line.kode_rekening, []).append(line)
    names = names or {}
    return tuple(
        AccountTotal(kode_rekening=kode, uraian=names.get(kode, group[0].uraian),
                     jumlah=sum((l.jumlah for l in group), ZERO), ppn=sum((l.ppn for l in group), ZERO),
                     pph=sum((l.pph for l in group), ZERO), bukti=len(group))
        for kode, group in sorted(groups.items())
    )


@dataclass(frozen=True)
class Finding:
    """One problem the verifier found: in which document (and receipt row), and what is wrong."""

    dokumen: str
    masalah: str
    baris: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "dokumen", _text(self.dokumen, "finding dokumen"))
        object.__setattr__(self, "masalah", _text(self.masalah, "finding masalah"))
        if self.baris is not None and (isinstance(self.baris, bool) or not isinstance(self.baris, int) or self.baris < 1):
            raise ValueError(f"finding baris must be a row number from 1, got {self.baris!r}")

    @property
    def lokasi(self) -> str:
        """'Bukti pengeluaran, baris 2' or just the document."""
        return self.dokumen if self.baris is None else f"{self.dokumen}, baris {self.baris}"

    def __str__(self) -> str:
        return f"{self.lokasi} — {self.masalah}"


@dataclass(frozen=True)
class BundleData:
    """Everything the documents of one SPJ bundle print. `total` is not passed but computed: the
    sum of the lines, so it can never disagree with them (and `dataclasses.replace` with other
    lines gives the right total; checking a total claimed on an upload is the intake's job).
    Numbers are None until they are given.
    `penerima` is who the SPM pays: the bendahara for UP/GU/TU (the default), the third party
    for LS. `status` is the register's status column (free text, e.g. "dikirim ke BPKAD")."""

    jenis_spp: str
    tahun_anggaran: int
    tanggal: dt.date
    sub_kegiatan: str
    uraian: str
    bendahara: Official
    lines: tuple[Line, ...]
    signatories: Signatories
    nomor_spp: str | None = None
    nomor_spm: str | None = None
    nomor_bku: str | None = None
    findings: tuple[Finding, ...] = ()
    penerima: str | None = None
    status: str = "diajukan"
    kode: str | None = None  # the bundle's own reference (intake id), for file names and logs
    total: Decimal = field(init=False)

    def __post_init__(self) -> None:
        if self.jenis_spp not in JENIS_SPP:
            raise ValueError(f"jenis_spp must be one of {', '.join(JENIS_SPP)}, got {self.jenis_spp!r}")
        if isinstance(self.tahun_anggaran, bool) or not isinstance(self.tahun_anggaran, int) \
                or not 2000 <= self.tahun_anggaran <= 2100:
            raise ValueError(f"tahun_anggaran must be a year, got {self.tahun_anggaran!r}")
        if not isinstance(self.tanggal, dt.date) or isinstance(self.tanggal, dt.datetime):
            raise TypeError(f"tanggal must be a date, got {self.tanggal!r}")
        for name in ("sub_kegiatan", "uraian", "status"):
            object.__setattr__(self, name, _text(getattr(self, name), name))
        for name in ("nomor_spp", "nomor_spm", "nomor_bku", "penerima", "kode"):
            object.__setattr__(self, name, _number(getattr(self, name), name))
        lines = tuple(self.lines)
        if not lines:
            raise ValueError("a bundle needs at least one line")
        for i, line in enumerate(lines, start=1):
            if not isinstance(line, Line):
                raise TypeError(f"line {i} is a {type(line).__name__}, not a Line")
            if line.tanggal.year != self.tahun_anggaran:
                raise ValueError(f"line {i} ({line.nomor_bukti}) is dated {line.tanggal}, "
                                 f"outside the fiscal year {self.tahun_anggaran}")
        object.__setattr__(self, "lines", lines)
        object.__setattr__(self, "findings", tuple(self.findings))
        object.__setattr__(self, "total", sum((l.jumlah for l in lines), ZERO))

    # --- figures the documents print -----------------------------------------------------------
    @property
    def akun(self) -> tuple[AccountTotal, ...]:
        return totals_by_account(self.lines)

    @property
    def ppn(self) -> Decimal:
        return sum((l.ppn for l in self.lines), ZERO)

    @property
    def pph(self) -> Decimal:
        return sum((l.pph for l in self.lines), ZERO)

    @property
    def potongan(self) -> Decimal:
        """What the SPM deducts: the taxes for LS (paid to the third party net of tax). For
        UP/GU/TU the bendahara has withheld and paid the taxes already, so the SPM only shows them
        as information that does not reduce the payment (Permendagri 77/2020 SPM layout)."""
        return self.ppn + self.pph if self.jenis_spp == "LS" else ZERO

    @property
    def informasi_pajak(self) -> Decimal:
        return ZERO if self.jenis_spp == "LS" else self.ppn + self.pph

    @property
    def dibayarkan(self) -> Decimal:
        return self.total - self.potongan

    @property
    def dibayar_kepada(self) -> str:
        return self.penerima or self.bendahara.nama

    def missing_numbers(self, kind: str) -> list[str]:
        """The numbers `kind` needs that this bundle does not have yet."""
        try:
            required = REQUIRED_NUMBERS[kind]
        except KeyError:
            raise ValueError(f"unknown document kind {kind!r}; one of {', '.join(DOCUMENT_KINDS)}") from None
        return [name for name in required if getattr(self, name) is None]


def total_of(bundles: Sequence[BundleData]) -> Decimal:
    return sum((b.total for b in bundles), ZERO)


@dataclass(frozen=True)
class BkuEntry:
    """One row of the Buku Kas Umum: money in (penerimaan) or out (pengeluaran)."""

    tanggal: dt.date
    nomor_bku: str
    uraian: str
    penerimaan: Decimal = ZERO
    pengeluaran: Decimal = ZERO

    def __post_init__(self) -> None:
        if not isinstance(self.tanggal, dt.date) or isinstance(self.tanggal, dt.datetime):
            raise TypeError(f"BKU tanggal must be a date, got {self.tanggal!r}")
        object.__setattr__(self, "nomor_bku", _text(self.nomor_bku, "nomor_bku"))
        object.__setattr__(self, "uraian", _text(self.uraian, "BKU uraian"))
        for name in ("penerimaan", "pengeluaran"):
            object.__setattr__(self, name, rupiah_amount(getattr(self, name), f"BKU {self.nomor_bku} {name}"))


@dataclass(frozen=True)
class BkuRow:
    entry: BkuEntry
    saldo: Decimal


def bku_rows(entries: Iterable[BkuEntry], saldo_awal: Decimal = ZERO) -> list[BkuRow]:
    """The entries in the given order with the running balance after each."""
    if isinstance(saldo_awal, (bool, float)) or not isinstance(saldo_awal, (Decimal, int)):
        raise TypeError(f"saldo_awal must be a Decimal, not {type(saldo_awal).__name__}")
    saldo = Decimal(saldo_awal).quantize(SEN)
    rows = []
    for entry in entries:
        saldo = saldo + entry.penerimaan - entry.pengeluaran
        rows.append(BkuRow(entry=entry, saldo=saldo))
    return rows


def bku_entries(bundles: Iterable[BundleData]) -> list[BkuEntry]:
    """Spending entries of numbered bundles: one per receipt, under the bundle's BKU number.
    (The receipt of the SP2D and the tax movements are booked by the bendahara, not here.)"""
    return [
        BkuEntry(tanggal=line.tanggal, nomor_bku=b.nomor_bku, uraian=f"{line.uraian} ({line.nomor_bukti})",
                 pengeluaran=line.jumlah)
        for b in bundles if b.nomor_bku is not None
        for line in b.lines
    ]


@dataclass(frozen=True)
class Transmittal:
    """The Surat Pengantar to BPKAD for one working day."""

    tanggal: dt.date
    bundles: tuple[BundleData, ...]
    penandatangan: Official
    peran: str
    nomor: str | None = None
    kepada: str = "Kepala Badan Pengelolaan Keuangan dan Aset Daerah Kabupaten Blitar"

    @property
    def total(self) -> Decimal:
        return total_of(self.bundles)

    def __post_init__(self) -> None:
        if not isinstance(self.tanggal, dt.date) or isinstance(self.tanggal, dt.datetime):
            raise TypeError(f"tanggal must be a date, got {self.tanggal!r}")
        bundles = tuple(self.bundles)
        if not bundles:
            raise ValueError("a transmittal needs at least one bundle: a day without SPM sends no letter")
        unnumbered = [b.kode or b.uraian for b in bundles if b.nomor_spm is None]
        if unnumbered:
            raise ValueError(f"bundles without an SPM number cannot go to BPKAD: {', '.join(unnumbered)}")
        object.__setattr__(self, "bundles", bundles)
        object.__setattr__(self, "peran", _text(self.peran, "peran"))
        object.__setattr__(self, "kepada", _text(self.kepada, "kepada"))
        object.__setattr__(self, "nomor", _number(self.nomor, "nomor"))
