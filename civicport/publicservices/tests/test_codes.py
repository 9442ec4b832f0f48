"""Dossier codes: the Circular 01/2018 Art. 19 form, gap-free per agency and day."""

import threading
from datetime import date

import pytest
from django.db import connection, transaction

from civicport.publicservices.codes import (
    dossier_code_format,
    dossier_code_next,
    dossier_code_valid,
)
from civicport.publicservices.models import DossierCounter
from civicport.publicservices.tests import factories as f

DAY = date(2026, 2, 27)


@pytest.mark.parametrize(
    "code",
    [
        "000.00.06.H56-231027-0361",  # services.md §7.1
        "000.17.22.H56-210531-0001",
        "000.00.07.H31-260227-0001",
        "001.13.11.H31-261231-9999",
        "001.13.11.H31-260101-10000",  # beyond 9999 the sequence grows
    ],
)
def test_valid_codes(code):
    assert dossier_code_valid(code)


@pytest.mark.parametrize(
    "code",
    [
        "000.00.06.H56-231327-0361",  # month 13
        "000.00.06.H56-231000-0361",  # month 00
        "000.00.06.H56-231032-0361",  # day 32
        "000.00.06.H56-231027-361",  # 3-digit sequence
        "000.00.06.H56-231027-01234",  # 5 digits must not start with 0
        "000.00.06-231027-0361",  # unit code incomplete
        "T0001.H31-231027-0361",
        "000.00.06.H56-20231027-0361",
        "",
    ],
)
def test_invalid_codes(code):
    assert not dossier_code_valid(code)


def test_format_pads_to_four_digits_and_grows_beyond():
    assert dossier_code_format(agency_code="000.00.07.H31", day=DAY, sequence=1) == (
        "000.00.07.H31-260227-0001"
    )
    assert dossier_code_format(agency_code="000.00.07.H31", day=DAY, sequence=12345) == (
        "000.00.07.H31-260227-12345"
    )
    with pytest.raises(ValueError):
        dossier_code_format(agency_code="000.00.07.H31", day=DAY, sequence=0)


@pytest.mark.django_db
def test_first_of_the_day_is_0001_and_numbers_are_gap_free():
    agency = f.agency(code="000.00.07.H31")
    codes = [dossier_code_next(agency=agency, day=DAY) for _ in range(12)]
    assert codes[0] == "000.00.07.H31-260227-0001"
    assert codes == [f"000.00.07.H31-260227-{n:04d}" for n in range(1, 13)]
    assert all(dossier_code_valid(code) for code in codes)


@pytest.mark.django_db
def test_counters_are_per_agency_and_restart_the_next_day():
    city, commune = f.agency(code="000.00.00.H31"), f.agency(code="001.13.11.H31")
    assert dossier_code_next(agency=city, day=DAY).endswith("-260227-0001")
    assert dossier_code_next(agency=city, day=DAY).endswith("-260227-0002")
    assert dossier_code_next(agency=commune, day=DAY) == "001.13.11.H31-260227-0001"
    assert dossier_code_next(agency=city, day=date(2026, 2, 28)) == "000.00.00.H31-260228-0001"
    assert dossier_code_next(agency=city, day=DAY).endswith("-260227-0003")
    assert DossierCounter.objects.count() == 3


@pytest.mark.django_db
def test_a_rolled_back_transaction_releases_its_number():
    agency = f.agency(code="000.00.08.H31")
    assert dossier_code_next(agency=agency, day=DAY).endswith("-0001")
    with pytest.raises(RuntimeError), transaction.atomic():
        assert dossier_code_next(agency=agency, day=DAY).endswith("-0002")
        raise RuntimeError("the dossier could not be stored")
    assert dossier_code_next(agency=agency, day=DAY).endswith("-0002")


@pytest.mark.django_db
def test_sequence_beyond_9999_keeps_counting():
    agency = f.agency(code="000.00.09.H31")
    DossierCounter.objects.create(agency=agency, day=DAY, last=9999)
    code = dossier_code_next(agency=agency, day=DAY)
    assert code == "000.00.09.H31-260227-10000"
    assert dossier_code_valid(code)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_is_refused():
    agency = f.agency()
    with pytest.raises(RuntimeError, match="inside"):
        dossier_code_next(agency=agency, day=DAY)


def _run_in_threads(count: int, work) -> tuple[list, list]:
    """Run `work()` in `count` threads started together; (results, errors)."""
    barrier = threading.Barrier(count)
    results, errors = [], []
    lock = threading.Lock()

    def run():
        try:
            barrier.wait(timeout=30)
            value = work()
            with lock:
                results.append(value)
        except Exception as exc:  # reported by the test
            with lock:
                errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_are_unique_and_gap_free():
    if connection.vendor != "postgresql":
        pytest.skip("row locks across threads are exercised on PostgreSQL (CI)")
    agency = f.agency(code="000.00.10.H31")

    def issue():
        with transaction.atomic():
            return dossier_code_next(agency=agency, day=DAY)

    codes, errors = _run_in_threads(40, issue)
    assert errors == []
    assert sorted(codes) == [f"000.00.10.H31-260227-{n:04d}" for n in range(1, 41)]
