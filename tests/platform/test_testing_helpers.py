"""cakap_shared.testing's callers, clock and event factories, as the services' tests use them."""

from __future__ import annotations

import types
from datetime import UTC, date, datetime

import jwt
import pytest
from cakap_shared.auth import USER_AUDIENCE
from cakap_shared.testing import (
    Cast,
    FakeClock,
    Persona,
    as_role,
    as_service,
    event_envelope,
    rsa_keypair,
)


def claims_of(headers: dict[str, str], audience: str = USER_AUDIENCE) -> dict:
    token = headers["Authorization"].removeprefix("Bearer ")
    return jwt.decode(token, rsa_keypair()[1], algorithms=["RS256"], audience=audience)


def test_as_role_acts_as_one_stable_person_per_role_set() -> None:
    admin = claims_of(as_role("admin"))
    assert admin["roles"] == ["admin"]
    assert claims_of(as_role("admin"))["sub"] == admin["sub"]
    assert claims_of(as_role("asn"))["sub"] != admin["sub"]


def test_as_role_takes_a_subject_and_claims() -> None:
    claims = claims_of(as_role("asn", "supervisor", sub="p-1", unit_code="DISKOMINFO"))
    assert (claims["sub"], claims["roles"], claims["unit_code"]) == (
        "p-1",
        ["asn", "supervisor"],
        "DISKOMINFO",
    )
    with pytest.raises(ValueError):
        as_role()


def test_as_service_is_a_service_token_for_its_audience() -> None:
    claims = claims_of(as_service("catalog", "personnel"), audience="personnel")
    assert (claims["sub"], claims["roles"]) == ("service:catalog", ["service"])


def test_a_cast_names_its_callers() -> None:
    cast = Cast(learner=Persona("l-1", ("asn",), {"unit_code": "DISKOMINFO"}))
    assert claims_of(cast("learner"))["unit_code"] == "DISKOMINFO"
    assert cast["learner"].sub == "l-1"


def test_the_fake_clock_moves_only_when_told() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 20, 0, tzinfo=UTC))
    assert clock.today() == date(2026, 3, 3)  # 03:00 WIB the next day
    before = clock()
    clock.advance(minutes=5)
    assert clock.time() - before == 300
    clock.set(date(2026, 1, 1))
    assert clock.now() == datetime(2026, 1, 1, 8, 0, tzinfo=UTC)
    clock.set(datetime(2026, 1, 2, 9, 0))  # naive means UTC
    assert clock.now().tzinfo is not None


def test_the_fake_clock_replaces_a_service_clock_module(monkeypatch) -> None:
    module = types.SimpleNamespace(now=lambda: None)  # like evaluation_service.clock
    clock = FakeClock().install(monkeypatch, module)
    assert module.now() == clock.now()
    assert not hasattr(module, "today")  # only what the module has


def test_an_event_envelope_has_fresh_ids() -> None:
    first = event_envelope("person.updated", {"x": 1}, producer="personnel")
    second = event_envelope("person.updated", {"x": 1}, producer="personnel")
    assert first["id"] != second["id"] and first["producer"] == "personnel"
    assert event_envelope("t", {}, producer="p", event_id="e-1")["id"] == "e-1"
