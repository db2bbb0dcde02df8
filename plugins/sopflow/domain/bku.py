"""BKU and register numbers: per fiscal year and per bendahara, gapless and never reused.

`assign_number` runs inside the caller's transaction, the one that records the PPK approval,
and never commits: if that transaction fails, the counter increment is rolled back with it and
the bundle takes no number (the next caller gets the number it would have had). Numbers are only
given here, after approval; nothing hands out numbers in advance.

How it stays gapless under concurrency (three statements in the usual case):
- a subject that already has a number is looked up first, without any lock (the retry path);
- the counter row of (fiscal year, bendahara) is created at 1 or incremented in one upsert
  (INSERT ... ON CONFLICT DO UPDATE ... RETURNING). On PostgreSQL that locks the row until the
  caller's transaction ends, so takers of the same sequence queue there; on SQLite the engine
  opens every transaction with BEGIN IMMEDIATE, so writers are serialised anyway;
- the number row is inserted with ON CONFLICT (year, bendahara, subject) DO NOTHING. If a
  concurrent retry of the same subject committed while we waited for the lock, nothing is
  inserted: the increment is undone (we still hold the lock, so nobody saw it) and that
  subject's number is returned. A unique (year, bendahara, number) constraint backs this up.
The counter row lock is held until the caller commits, so keep that transaction short.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sopflow.store.models import BkuCounter, BkuNumber

# Default printed form: 0001/BKU/BP/2027. Placeholders: {nomor}, {tahun}, {bendahara}.
DEFAULT_FORMAT = "{nomor:04d}/BKU/{bendahara}/{tahun}"


def format_number(n: int, fiscal_year: int, bendahara: str, fmt: str | None = None) -> str:
    """The number as printed, e.g. format_number(7, 2027, "BP") -> "0007/BKU/BP/2027"."""
    fmt = fmt or DEFAULT_FORMAT
    try:
        return fmt.format(nomor=n, tahun=fiscal_year, bendahara=bendahara)
    except (KeyError, IndexError, ValueError) as exc:
        raise ValueError(f"bad BKU number format {fmt!r} (placeholders: {{nomor}}, {{tahun}}, {{bendahara}}): {exc}") from None


def _check(fiscal_year: int, bendahara: str, subject_key: str) -> None:
    if isinstance(fiscal_year, bool) or not isinstance(fiscal_year, int) or not 2000 <= fiscal_year <= 2100:
        raise ValueError(f"fiscal year must be a year between 2000 and 2100, got {fiscal_year!r}")
    if not bendahara or bendahara != bendahara.strip():
        raise ValueError(f"bendahara must be a non-empty code without surrounding spaces, got {bendahara!r}")
    if not subject_key or len(subject_key) > 250:
        raise ValueError(f"subject key must be 1 to 250 characters, got {subject_key!r}")


def _existing(session: Session, fiscal_year: int, bendahara: str, subject_key: str) -> BkuNumber | None:
    return session.scalars(
        select(BkuNumber).where(BkuNumber.fiscal_year == fiscal_year, BkuNumber.bendahara == bendahara,
                                BkuNumber.subject_key == subject_key)
    ).one_or_none()


def _insert(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # pragma: no cover - sopflow runs on these two
        raise NotImplementedError(f"BKU numbering supports PostgreSQL and SQLite, not {dialect}")
    return insert


def assign_number(session: Session, *, fiscal_year: int, bendahara: str, subject_key: str,
                  fmt: str | None = None) -> BkuNumber:
    """The BKU number of `subject_key` (e.g. the SPJ bundle id), giving the next one if it has none.

    Retry-safe: a subject that already has a number gets the same one back (its printed form
    too, even if `fmt` changed since). Runs in the caller's transaction and does not commit.
    """
    _check(fiscal_year, bendahara, subject_key)
    format_number(1, fiscal_year, bendahara, fmt)  # a bad format fails before anything is locked
    found = _existing(session, fiscal_year, bendahara, subject_key)
    if found is not None:
        return found
    insert = _insert(session)
    counter = insert(BkuCounter).values(fiscal_year=fiscal_year, bendahara=bendahara, last_number=1)
    number = session.execute(
        counter.on_conflict_do_update(index_elements=["fiscal_year", "bendahara"],
                                      set_={"last_number": BkuCounter.last_number + 1})
        .returning(BkuCounter.last_number)
    ).scalar_one()
    row = session.scalars(
        insert(BkuNumber)
        .values(fiscal_year=fiscal_year, bendahara=bendahara, number=number, subject_key=subject_key,
                nomor=format_number(number, fiscal_year, bendahara, fmt))
        .on_conflict_do_nothing(index_elements=["fiscal_year", "bendahara", "subject_key"])
        .returning(BkuNumber)
    ).one_or_none()
    if row is None:  # the same subject was numbered by a transaction that committed while we waited
        session.execute(
            update(BkuCounter)
            .where(BkuCounter.fiscal_year == fiscal_year, BkuCounter.bendahara == bendahara)
            .values(last_number=BkuCounter.last_number - 1)
        )
        row = _existing(session, fiscal_year, bendahara, subject_key)
        if row is None:  # pragma: no cover - only under an isolation level sopflow does not use
            raise RuntimeError(f"BKU number of {subject_key!r} neither inserted nor found")
    return row
