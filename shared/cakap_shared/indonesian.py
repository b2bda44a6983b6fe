"""Dates written the way an Indonesian reader expects them, for slips, certificates and mails."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

MONTHS = (
    "Januari", "Februari", "Maret", "April", "Mei", "Juni",
    "Juli", "Agustus", "September", "Oktober", "November", "Desember",
)  # fmt: skip
ZONE_LABELS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def tanggal(day: date | None) -> str:
    """A date: 2 Maret 2026 ("-" for none)."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else "-"


def waktu(moment: datetime, zone: str) -> str:
    """A moment in the city's time: 14 Desember 2026 pukul 10.05 WIB."""
    local = moment.astimezone(ZoneInfo(zone))
    label = ZONE_LABELS.get(zone, zone)
    return f"{tanggal(local.date())} pukul {local.hour:02d}.{local.minute:02d} {label}"
