"""BKU numbering on both engines: gapless per fiscal year and bendahara, retry-safe, never reused."""

import multiprocessing
import threading
import time

import pytest
from sqlalchemy import func, select

from sopflow.domain.bku import assign_number, format_number
from sopflow.store import db
from sopflow.store.models import BkuCounter, BkuNumber


def take(url, subject, *, year=2027, bendahara="BP", fmt=None):
    with db.session_scope(url) as s:
        return assign_number(s, fiscal_year=year, bendahara=bendahara, subject_key=subject, fmt=fmt).number


def test_numbers_are_gapless_and_formatted(db_url):
    assert [take(db_url, f"spj-{i}") for i in range(1, 6)] == [1, 2, 3, 4, 5]
    with db.session_scope(db_url) as s:
        row = assign_number(s, fiscal_year=2027, bendahara="BP", subject_key="spj-6")
        assert (row.number, row.nomor) == (6, "0006/BKU/BP/2027")
        custom = assign_number(s, fiscal_year=2027, bendahara="BP", subject_key="spj-7",
                               fmt="{tahun}/{bendahara}/{nomor}")
        assert custom.nomor == "2027/BP/7"


def test_a_retry_gets_the_same_number_back(db_url):
    assert take(db_url, "spj-a") == 1
    assert take(db_url, "spj-a") == 1
    assert take(db_url, "spj-b") == 2
    with db.session_scope(db_url) as s:
        # Even with another format now: the number was printed once and stays as printed.
        again = assign_number(s, fiscal_year=2027, bendahara="BP", subject_key="spj-a", fmt="{nomor}")
        assert (again.number, again.nomor) == (1, "0001/BKU/BP/2027")
        assert s.scalar(select(BkuCounter.last_number)) == 2
        assert s.scalar(select(func.count()).select_from(BkuNumber)) == 2


def test_a_failed_transaction_takes_no_number(db_url):
    assert take(db_url, "spj-1") == 1
    with pytest.raises(RuntimeError):
        with db.session_scope(db_url) as s:
            assert assign_number(s, fiscal_year=2027, bendahara="BP", subject_key="spj-failed").number == 2
            raise RuntimeError("rendering the SPP failed after approval")
    assert take(db_url, "spj-2") == 2
    assert take(db_url, "spj-failed") == 3  # retried later: a new number, in order
    with db.session_scope(db_url) as s:
        assert s.scalars(select(BkuNumber.number).order_by(BkuNumber.number)).all() == [1, 2, 3]


def test_a_new_fiscal_year_restarts_at_one(db_url):
    assert [take(db_url, f"2027-{i}", year=2027) for i in range(3)] == [1, 2, 3]
    assert take(db_url, "2028-0", year=2028) == 1
    assert take(db_url, "2027-3", year=2027) == 4
    assert take(db_url, "2028-1", year=2028) == 2
    # The same subject key in another year is another subject.
    assert take(db_url, "2027-0", year=2028) == 3


def test_each_bendahara_has_its_own_sequence(db_url):
    assert take(db_url, "x1", bendahara="BP") == 1
    assert take(db_url, "x1", bendahara="BPP-UMUM") == 1
    assert take(db_url, "x2", bendahara="BPP-UMUM") == 2
    assert take(db_url, "x2", bendahara="BP") == 2


def test_bad_input_is_refused_before_anything_is_written(db_url):
    with db.session_scope(db_url) as s:
        for kwargs in ({"fiscal_year": 27}, {"bendahara": ""}, {"bendahara": " BP"}, {"subject_key": ""},
                       {"fmt": "{nomor}/{bulan}"}):
            args = {"fiscal_year": 2027, "bendahara": "BP", "subject_key": "s", **kwargs}
            with pytest.raises(ValueError):
                assign_number(s, **args)
        assert s.scalar(select(func.count()).select_from(BkuCounter)) == 0
    assert format_number(12, 2027, "BP") == "0012/BKU/BP/2027"


def test_a_concurrent_retry_of_the_same_subject_waits_and_gets_the_same_number(db_url):
    """Two workers run the same bundle at once: the second waits on the lock, then finds the number."""
    assert take(db_url, "first") == 1
    first = db.session_scope(db_url)
    s = first.__enter__()
    assert assign_number(s, fiscal_year=2027, bendahara="BP", subject_key="same").number == 2
    result = {}
    other = threading.Thread(target=lambda: result.update(n=take(db_url, "same")))
    other.start()
    time.sleep(0.5)
    assert other.is_alive(), "the second worker should wait for the first transaction"
    first.__exit__(None, None, None)  # commit
    other.join(30)
    assert result == {"n": 2}
    assert take(db_url, "next") == 3


# --- many processes at once ---------------------------------------------------------------

def _worker(url, index, count, barrier, results):
    from sopflow.domain.bku import assign_number
    from sopflow.store import db

    db.get_engine(url)  # connect and check the schema before the clock starts
    barrier.wait()
    started = time.perf_counter()
    numbers = []
    for k in range(count):
        with db.session_scope(url) as s:
            numbers.append(assign_number(s, fiscal_year=2027, bendahara="BP", subject_key=f"p{index}-{k}").number)
    results.put((index, numbers, time.perf_counter() - started))
    db.dispose_all()


def test_concurrent_processes_get_distinct_gapless_numbers(db_url):
    processes, each = (8, 500) if db_url.startswith("postgresql") else (4, 100)
    db.get_engine(db_url)  # migrate once, before the workers start
    db.dispose_all()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes + 1), ctx.Queue()
    workers = [ctx.Process(target=_worker, args=(db_url, i, each, barrier, results)) for i in range(processes)]
    for w in workers:
        w.start()
    barrier.wait(timeout=120)
    started = time.perf_counter()
    got = [results.get(timeout=600) for _ in workers]
    elapsed = time.perf_counter() - started
    for w in workers:
        w.join(60)
        assert w.exitcode == 0
    total = processes * each
    numbers = [n for _, ns, _ in got for n in ns]
    assert sorted(numbers) == list(range(1, total + 1))
    for _, ns, _ in got:
        assert ns == sorted(ns)  # each process sees its own numbers increase
    with db.session_scope(db_url) as s:
        assert s.scalar(select(BkuCounter.last_number)) == total
        rows = s.execute(select(BkuNumber.number, BkuNumber.subject_key)).all()
    assert sorted(n for n, _ in rows) == list(range(1, total + 1))
    assert len({k for _, k in rows}) == total
    print(f"\nBKU numbering, {db.get_engine(db_url).dialect.name}: {processes} processes x {each} = {total} "
          f"numbers in {elapsed:.2f} s ({total / elapsed:.0f}/s)")
