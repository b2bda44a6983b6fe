"""Pure rules: quiet-hour windows, the digest moment; the delivery worker's round."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from notification_service.domain.delivery import digest_moment
from notification_service.domain.preferences import quiet_end
from notification_service.worker import Worker

ZONE = "Asia/Jakarta"  # UTC+7


def at(hour: int, minute: int = 0) -> datetime:
    """A moment at local `hour` on 30 November in Jakarta, as UTC."""
    return datetime(2026, 11, 30, hour, minute, tzinfo=ZoneInfo(ZONE)).astimezone(UTC)


def test_quiet_hours_over_midnight():
    assert quiet_end(at(22), 21, 6, ZONE) == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # 06:00
    assert quiet_end(at(5, 30), 21, 6, ZONE) == at(6)
    assert quiet_end(at(12), 21, 6, ZONE) is None
    assert quiet_end(at(21), 21, 6, ZONE) is not None  # the start hour is quiet
    assert quiet_end(at(6), 21, 6, ZONE) is None  # the end hour is not


def test_quiet_hours_within_a_day_and_empty_window():
    assert quiet_end(at(13), 12, 14, ZONE) == at(14)
    assert quiet_end(at(14), 12, 14, ZONE) is None
    assert quiet_end(at(9), 9, 9, ZONE) is None


def test_digest_moment_is_the_last_digest_hour_passed():
    assert digest_moment(at(8), 7, ZONE) == at(7)
    assert digest_moment(at(6), 7, ZONE) == datetime(
        2026, 11, 29, 0, 0, tzinfo=UTC
    )  # 07:00 yesterday


def test_worker_round_sends_through_the_channel(app, client, kit, people, smtp, channel):
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    worker = Worker(app, channel)
    assert worker.run_once() == 1
    assert worker.run_once() == 0
    assert len(smtp.to(people["learner"])) == 1


def test_worker_without_smtp_keeps_mails_queued(app, client, kit, people, smtp):
    kit.deliver(client, kit.enrolment("enrolment.approved", "enrolled"))
    assert Worker(app, None).run_once() == 0
    assert smtp.messages == []
