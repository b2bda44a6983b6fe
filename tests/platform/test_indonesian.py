"""Dates as slips, certificates and mails print them (cakap_shared.indonesian)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from cakap_shared.indonesian import tanggal, waktu

pytestmark = pytest.mark.database_free


def test_a_date_names_its_month_in_indonesian() -> None:
    assert tanggal(date(2026, 3, 2)) == "2 Maret 2026"
    assert tanggal(date(2026, 8, 17)) == "17 Agustus 2026"
    assert tanggal(None) == "-"


def test_a_moment_is_told_in_the_citys_time_with_its_zone() -> None:
    moment = datetime(2026, 12, 31, 17, 5, tzinfo=UTC)
    assert waktu(moment, "Asia/Jakarta") == "1 Januari 2027 pukul 00.05 WIB"
    assert waktu(moment, "Asia/Makassar") == "1 Januari 2027 pukul 01.05 WITA"
    assert waktu(moment, "Europe/Amsterdam") == "31 Desember 2026 pukul 18.05 Europe/Amsterdam"
