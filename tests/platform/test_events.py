"""The shared outbox/inbox: written with the change, delivered with backoff, handled once."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from cakap_shared.config import base_config
from cakap_shared.events import (
    DEAD,
    DELIVERED,
    PENDING,
    DeliveryWorker,
    EventRejected,
    Events,
    InboxEventMixin,
    OutboxDeliveryMixin,
    OutboxEventMixin,
)
from cakap_shared.events import inbox as inbox_module
from cakap_shared.idempotency import IdempotencyRecordMixin
from cakap_shared.platform import init_platform
from cakap_shared.problems import CakapError, ProblemApi
from cakap_shared.testing import (
    bearer,
    empty_tables,
    mint_token,
    service_test_config,
    throwaway_database,
)
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError


class Toy:
    """A minimal service built on the shared platform, schema by create_all (not a real service)."""

    def __init__(self, name: str, publishes: list[str], path: Path, url: str | None = None) -> None:
        self.db = SQLAlchemy()
        self.events = Events(name, publishes=publishes)
        ns = {"__module__": __name__}
        self.Outbox = type(f"{name}Outbox", (OutboxEventMixin, self.db.Model), dict(ns))
        self.Delivery = type(f"{name}Delivery", (OutboxDeliveryMixin, self.db.Model), dict(ns))
        self.Inbox = type(f"{name}Inbox", (InboxEventMixin, self.db.Model), dict(ns))
        self.Idem = type(f"{name}Idem", (IdempotencyRecordMixin, self.db.Model), dict(ns))
        self.handled: list[dict[str, Any]] = []
        self.flaky: set[int] = set()  # values of data.n whose first try raises (not kept)
        self.colliding: set[int] = set()  # ... whose first try's write collides (IntegrityError)
        self.app = Flask(name)
        self.app.config.update(base_config(name))
        self.app.config.update(service_test_config(name, url or f"sqlite:///{path / name}.db"))
        init_platform(
            self.app,
            db=self.db,
            api=ProblemApi(),
            migrations_dir=path,
            routes=["/api/v1/toys"],
            idempotency_model=self.Idem,
            events=self.events,
            event_models=(self.Outbox, self.Delivery, self.Inbox),
        )
        with self.app.app_context():
            self.db.create_all()


@pytest.fixture(scope="module")
def toy_databases(tmp_path_factory):
    """Two databases for the module's producer and consumer (PostgreSQL under
    TEST_DB=postgres), made once: creating them for every test took minutes."""
    path = tmp_path_factory.mktemp("toys")
    with (
        throwaway_database("toyproducer", path) as producer_url,
        throwaway_database("toyconsumer", path) as consumer_url,
    ):
        yield producer_url, consumer_url


@pytest.fixture
def pair(tmp_path, toy_databases):
    """A producer and a consumer, each on its own database, emptied after the test."""
    producer_url, consumer_url = toy_databases
    producer = Toy("producer", ["thing.happened"], tmp_path, url=producer_url)
    consumer = Toy("consumer", [], tmp_path, url=consumer_url)
    _handle_things(consumer)
    yield producer, consumer
    for toy in (producer, consumer):
        with toy.app.app_context():
            empty_tables(toy.db)
            toy.db.engine.dispose()


def _handle_things(consumer: Toy) -> None:

    @consumer.events.handler("thing.happened")
    def on_thing(envelope):
        n = envelope["data"].get("n")
        if n is None:
            raise EventRejected("data.n is required")
        if n in consumer.flaky:
            consumer.flaky.discard(n)
            raise RuntimeError("flaky")
        if n in consumer.colliding:
            consumer.colliding.discard(n)
            raise IntegrityError("INSERT INTO things", {}, Exception("taken"))
        consumer.handled.append(envelope)


def through(consumer: Toy, lose_ack: list[bool] | None = None, fail: set[int] | None = None):
    """A transport that posts into the consumer's test client; keeps the bodies it sent."""
    calls = {"n": 0}
    bodies: list[dict] = []

    def transport(url: str, body: dict, headers: dict) -> tuple[int, str]:
        calls["n"] += 1
        bodies.append(body)
        if fail and calls["n"] in fail:
            return 503, "down"
        path = url.removeprefix("http://consumer.test")
        response = consumer.app.test_client().post(path, json=body, headers=headers)
        if lose_ack and lose_ack.pop(0):
            return 0, "connection reset"
        return response.status_code, response.get_data(as_text=True)

    transport.calls = calls
    transport.bodies = bodies
    return transport


def worker_for(producer: Toy, transport, batch: bool = True, **kwargs) -> DeliveryWorker:
    """A worker delivering to the consumer; batch=False: a peer without the batch form."""
    worker = DeliveryWorker(
        producer.app,
        producer.events,
        {"consumer": "http://consumer.test"},
        tokens=lambda audience: mint_token("service:producer", ["service"], audience=audience),
        transport=transport,
        backoff_base=0.0,
        **kwargs,
    )
    manifest = {"subscribes": ["thing.happened"], "events_path": "/internal/events"}
    if batch:
        manifest["events_batch_path"] = "/internal/events/batch"
    worker.manifests = {"consumer": manifest}
    worker._manifests_read_at = float("inf")  # tests set manifests by hand
    return worker


def publish(producer: Toy, data: dict, aggregate: str = "agg-1", commit: bool = True) -> str:
    with producer.app.app_context():
        event = producer.events.publish("thing.happened", data, aggregate_id=aggregate)
        event_id = event.id
        if commit:
            producer.db.session.commit()
        else:
            producer.db.session.rollback()
    return event_id


def run(producer: Toy, worker: DeliveryWorker, rounds: int = 1) -> None:
    with producer.app.app_context():
        for _ in range(rounds):
            worker.fan_out()
            worker.deliver_due()


def deliveries(producer: Toy) -> list:
    with producer.app.app_context():
        return producer.db.session.scalars(
            select(producer.Delivery).order_by(producer.Delivery.id)
        ).all()


def test_an_event_exists_only_if_its_transaction_commits(pair):
    producer, _ = pair
    publish(producer, {"n": 1}, commit=False)
    kept = publish(producer, {"n": 2})
    with producer.app.app_context():
        ids = producer.db.session.scalars(select(producer.Outbox.id)).all()
    assert ids == [kept]


def test_publishing_an_undeclared_type_is_a_programming_error(pair):
    producer, _ = pair
    with producer.app.app_context(), pytest.raises(ValueError):
        producer.events.publish("other.thing", {}, aggregate_id="x")


def test_delivered_once_and_marked_delivered(pair):
    producer, consumer = pair
    publish(producer, {"n": 1})
    run(producer, worker_for(producer, through(consumer)))
    assert [e["data"] for e in consumer.handled] == [{"n": 1}]
    assert [d.status for d in deliveries(producer)] == [DELIVERED]


def test_a_lost_acknowledgement_is_retried_and_the_consumer_ignores_the_duplicate(pair):
    producer, consumer = pair
    publish(producer, {"n": 1})
    transport = through(consumer, lose_ack=[True, False])
    worker = worker_for(producer, transport)
    run(producer, worker, rounds=2)
    assert transport.calls["n"] == 2
    assert len(consumer.handled) == 1
    assert deliveries(producer)[0].status == DELIVERED
    with consumer.app.app_context():
        stats = consumer.events.stats()
    assert stats["inbox"]["handled"] == 1


def test_a_handler_whose_write_collides_is_not_taken_for_a_duplicate(pair):
    """Only the inbox row's own clash means "already handled": a clash in the handler's
    write (say two certificates numbered at once) keeps nothing and is delivered again."""
    _, consumer = pair
    collisions = [True]

    @consumer.events.handler("thing.happened", version=2)
    def on_thing_v2(envelope):
        if collisions and collisions.pop():
            raise IntegrityError("INSERT INTO certificates", {}, Exception("serial taken"))
        consumer.handled.append(envelope)

    body = {
        "id": "6e0b1a8c-0000-4000-8000-000000000001",
        "type": "thing.happened",
        "version": 2,
        "producer": "producer",
        "aggregate_id": "agg-1",
        "occurred_at": "2026-11-30T08:00:00+00:00",
        "data": {"n": 1},
    }
    headers = bearer(mint_token("service:producer", ["service"], audience="consumer"))
    client = consumer.app.test_client()
    first = client.post("/internal/events", json=body, headers=headers)
    assert first.status_code == 503, first.get_json()
    assert "deliver it again" in first.get_json()["detail"]
    with consumer.app.app_context():
        assert consumer.db.session.get(consumer.Inbox, body["id"]) is None
    again = client.post("/internal/events", json=body, headers=headers)
    assert again.status_code == 200 and again.get_json()["status"] == "handled"
    assert [e["data"] for e in consumer.handled] == [{"n": 1}]


def test_malformed_data_is_422_and_dead_lettered_at_once_then_retryable(pair):
    producer, consumer = pair
    publish(producer, {"wrong": True})
    run(producer, worker_for(producer, through(consumer)), rounds=3)
    (delivery,) = deliveries(producer)
    assert delivery.status == DEAD and delivery.attempts == 1
    assert delivery.last_error.startswith("422")
    admin = bearer(mint_token("a1", ["admin"]))
    client = producer.app.test_client()
    letters = client.get("/internal/outbox/dead-letters", headers=admin).get_json()["items"]
    assert letters[0]["event"]["data"] == {"wrong": True}
    assert client.get("/internal/outbox/stats", headers=admin).get_json()["dead"] == 1
    assert (
        client.post(f"/internal/outbox/dead-letters/{delivery.id}/retry", headers=admin).status_code
        == 200
    )
    assert deliveries(producer)[0].status == PENDING
    asn = bearer(mint_token("p1", ["asn"]))
    assert (
        client.post(f"/internal/outbox/dead-letters/{delivery.id}/retry", headers=asn).status_code
        == 403
    )


def test_failures_back_off_and_give_up_after_max_attempts(pair):
    producer, _ = pair
    publish(producer, {"n": 1})
    worker = worker_for(producer, lambda *a: (503, "busy"), max_attempts=3)
    run(producer, worker, rounds=5)
    (delivery,) = deliveries(producer)
    assert delivery.status == DEAD and delivery.attempts == 3


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    worker = DeliveryWorker(Flask("x"), Events("x", []), {}, None, backoff_base=1.0, backoff_cap=30)
    for attempts, ceiling in [(1, 1), (2, 2), (3, 4), (5, 16), (9, 30)]:
        for _ in range(20):
            assert ceiling / 2 <= worker.backoff(attempts) <= ceiling


def test_order_is_kept_per_aggregate_one_by_one(pair):
    """A peer without the batch form (an older release) gets one POST per event."""
    producer, consumer = pair
    publish(producer, {"n": 1}, aggregate="a")
    publish(producer, {"n": 2}, aggregate="a")
    publish(producer, {"n": 3}, aggregate="b")
    # the first send fails: n=2 must wait behind n=1, while aggregate b goes on
    transport = through(consumer, fail={1})
    worker = worker_for(producer, transport, batch=False)
    run(producer, worker)
    assert [e["data"]["n"] for e in consumer.handled] == [3]
    with producer.app.app_context():
        for d in producer.db.session.scalars(select(producer.Delivery)):
            d.next_attempt_at = d.next_attempt_at.replace(year=2000)
        producer.db.session.commit()
    run(producer, worker)
    assert [e["data"]["n"] for e in consumer.handled] == [3, 1, 2]
    assert all("events" not in body for body in transport.bodies)


def test_fan_out_waits_until_every_peer_manifest_is_known(pair):
    producer, consumer = pair
    publish(producer, {"n": 1})
    worker = worker_for(producer, through(consumer))
    worker.service_urls = {"consumer": "http://consumer.test", "absent": "http://absent.test"}
    run(producer, worker)
    assert deliveries(producer) == []
    with producer.app.app_context():
        assert producer.events.stats()["pending"] == 1
    worker.manifests["absent"] = {"subscribes": []}
    run(producer, worker)
    assert len(consumer.handled) == 1


def test_unknown_type_or_version_is_acknowledged_and_parked(pair):
    _, consumer = pair
    client = consumer.app.test_client()
    headers = bearer(mint_token("service:producer", ["service"], audience="consumer"))
    envelope = {
        "id": "0b7e6c1e-4f5d-4c0e-9a55-1f6f3f7c9a10",
        "type": "thing.happened",
        "version": 9,
        "occurred_at": "2026-11-28T10:00:00+00:00",
        "producer": "producer",
        "data": {"n": 1},
    }
    response = client.post("/internal/events", json=envelope, headers=headers)
    assert response.status_code == 202 and response.get_json()["status"] == "parked"
    again = client.post("/internal/events", json=envelope, headers=headers)
    assert again.get_json()["status"] == "duplicate"
    assert consumer.handled == []
    stats = client.get("/internal/outbox/stats", headers=headers).get_json()
    assert stats["inbox"]["parked"] == 1


@pytest.mark.parametrize(
    "body",
    [
        {"type": "thing.happened"},
        {"id": "not-a-uuid", "type": "t", "version": 1, "data": {}},
        [1, 2],
    ],
)
def test_a_malformed_envelope_is_422(pair, body):
    _, consumer = pair
    headers = bearer(mint_token("service:producer", ["service"], audience="consumer"))
    response = consumer.app.test_client().post("/internal/events", json=body, headers=headers)
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"


WELL_FORMED = {
    "id": "6e0b1a8c-0000-4000-8000-0000000000aa",
    "type": "thing.happened",
    "version": 1,
    "occurred_at": "2026-11-30T08:00:00.123456+07:00",
    "producer": "producer",
    "aggregate_id": "agg-1",
    "data": {"n": 1},
}


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"aggregate_id": None},  # absent: the schema's default
        {"id": "6E0B1A8C-0000-4000-8000-0000000000AA"},
        {"id": "{6e0b1a8c000040008000" + "0000000000aa}"},
        {"version": "2"},
        {"occurred_at": "2026-11-30T01:00:00Z"},
    ],
)
def test_an_envelope_loads_as_its_schema_says_whatever_its_form(changes):
    payload = {**WELL_FORMED, **changes}
    payload = {k: v for k, v in payload.items() if v is not None}
    expected = inbox_module.EnvelopeSchema().load(payload)
    assert inbox_module.load_envelope(payload, "service:producer") == {
        **expected,
        "id": str(expected["id"]),  # the id as canonical text
    }


@pytest.mark.parametrize(
    "changes",
    [
        {"version": 0},
        {"version": True},
        {"type": ""},
        {"producer": "p" * 51},
        {"aggregate_id": None},
        {"occurred_at": "2026-11-30T08:00:00"},  # no offset
        {"occurred_at": "30/11/2026"},
        {"data": [1]},
        {"extra": 1},
        {"id": "6e0b1a8c-0000-4000-8000-0000000000a"},
    ],
)
def test_an_envelope_the_schema_refuses_is_422(changes):
    with pytest.raises(CakapError) as refused:
        inbox_module.load_envelope({**WELL_FORMED, **changes}, "service:producer")
    assert refused.value.code == 422


@pytest.mark.security
def test_events_need_a_service_token(pair):
    _, consumer = pair
    client = consumer.app.test_client()
    assert client.post("/internal/events", json={}).status_code == 401
    user = bearer(mint_token("p1", ["admin"]))
    assert client.post("/internal/events", json={}, headers=user).status_code == 403
    other_audience = bearer(mint_token("service:x", ["service"], audience="personnel"))
    assert client.post("/internal/events", json={}, headers=other_audience).status_code == 401


def test_a_service_may_only_deliver_its_own_events(pair):
    _, consumer = pair
    envelope = {
        "id": "5d0c7a8e-0f7e-4b39-9f61-3c2d1e0a9b11",
        "type": "thing.happened",
        "version": 1,
        "occurred_at": "2026-11-28T10:00:00+00:00",
        "producer": "producer",
        "data": {"n": 1},
    }
    impostor = bearer(mint_token("service:elearning", ["service"], audience="consumer"))
    response = consumer.app.test_client().post("/internal/events", json=envelope, headers=impostor)
    assert response.status_code == 403
    assert consumer.handled == []


def test_admins_read_and_retry_dead_letters_under_the_public_prefix(pair):
    producer, consumer = pair
    publish(producer, {"wrong": True})
    run(producer, worker_for(producer, through(consumer)), rounds=3)
    (delivery,) = deliveries(producer)
    name = producer.events.producer
    admin = bearer(mint_token("a1", ["admin"]))
    client = producer.app.test_client()
    stats = client.get(f"/api/v1/outbox/{name}", headers=admin).get_json()
    assert stats["producer"] == name and stats["dead"] == 1
    letters = client.get(f"/api/v1/outbox/{name}/dead-letters", headers=admin).get_json()
    assert letters["items"][0]["id"] == delivery.id
    service = bearer(mint_token("svc", ["service"]))
    assert client.get(f"/api/v1/outbox/{name}", headers=service).status_code == 403
    retry = f"/api/v1/outbox/{name}/dead-letters/{delivery.id}/retry"
    assert client.post(retry, headers=bearer(mint_token("p1", ["asn"]))).status_code == 403
    assert client.post(retry, headers=admin).status_code == 200
    assert deliveries(producer)[0].status == PENDING
    routes = client.get("/.well-known/service.json").get_json()["routes"]
    assert f"/api/v1/outbox/{name}" in routes


def test_the_delivery_loop_touches_its_heartbeat_after_each_good_round(pair, tmp_path, monkeypatch):
    """Kubernetes' liveness probe of the delivery process reads this file's age."""
    producer, consumer = pair
    heartbeat = tmp_path / "heartbeat"
    monkeypatch.setenv("DELIVERY_HEARTBEAT_FILE", str(heartbeat))
    worker = worker_for(producer, through(consumer))
    publish(producer, {"n": 1})
    worker.wait_for_schema = lambda: None
    rounds = {"n": 0}
    real_run_once = worker.run_once

    def run_once_then_stop() -> bool:
        rounds["n"] += 1
        assert not heartbeat.exists() or rounds["n"] > 1  # touched after, not before
        worker.stop()
        return real_run_once()

    worker.run_once = run_once_then_stop
    worker.idle_sleep = 0
    worker.run_forever(handle_signals=False)
    assert heartbeat.exists()
    assert consumer.handled and consumer.handled[0]["data"] == {"n": 1}


def test_one_delivery_loop_leads_and_a_standby_takes_over(tmp_path):
    """Two replicas of a delivery process: one delivers, the other waits for its lock (an
    advisory lock on PostgreSQL; on SQLite a file lock, as a web worker's loop and a
    deliver-events process may share one database in development)."""
    with throwaway_database("toy", tmp_path) as url:
        producer = Toy("producer", ["thing.happened"], tmp_path, url=url)
        first = DeliveryWorker(producer.app, producer.events, {}, None)
        second = DeliveryWorker(producer.app, producer.events, {}, None)
        try:
            with producer.app.app_context():
                assert first.lead() is True
                assert second.lead() is False
                assert first.lead() is True  # still held, checked on its connection
                first.resign()  # the leader stops or dies: its connection goes
                assert second.lead() is True
                assert first.lead() is False
        finally:
            first.resign()
            second.resign()
            with producer.app.app_context():
                producer.db.engine.dispose()


# --- batches ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def unhurried_batches(monkeypatch):
    """A consumer defers what a batch has not reached after its time budget; a loaded
    machine must not change which events these tests see handled in which batch."""
    monkeypatch.setattr(inbox_module, "BATCH_BUDGET_SECONDS", 3600.0)


def test_a_batch_out_of_time_defers_the_rest_but_tries_one(pair, monkeypatch):
    producer, consumer = pair
    monkeypatch.setattr(inbox_module, "BATCH_BUDGET_SECONDS", 0.0)
    for n in range(3):
        publish(producer, {"n": n}, aggregate=f"person-{n}")
    transport = through(consumer)
    worker = worker_for(producer, transport)
    run(producer, worker)
    assert handled_n(consumer) == [0]  # one tried however late, so each batch progresses
    assert [(d.status, d.attempts) for d in deliveries(producer)] == [
        (DELIVERED, 1),
        (PENDING, 0),  # deferred: not an attempt, sent again at once
        (PENDING, 0),
    ]
    run(producer, worker, rounds=2)
    assert handled_n(consumer) == [0, 1, 2] and transport.calls["n"] == 3


def make_due(producer: Toy) -> None:
    """Skip the backoff: every pending delivery is due now."""
    with producer.app.app_context():
        for d in producer.db.session.scalars(select(producer.Delivery)):
            d.next_attempt_at = d.next_attempt_at.replace(year=2000)
        producer.db.session.commit()


def handled_n(consumer: Toy) -> list[int]:
    return [e["data"]["n"] for e in consumer.handled]


def sent_n(body: dict) -> list[int]:
    return [e["data"]["n"] for e in body["events"]]


def test_a_batch_delivers_every_event_once_in_few_requests(pair):
    producer, consumer = pair
    for n in range(450):
        publish(producer, {"n": n}, aggregate=f"person-{n}")
    transport = through(consumer)
    run(producer, worker_for(producer, transport, batch_size=200), rounds=4)
    assert sorted(handled_n(consumer)) == list(range(450))
    assert transport.calls["n"] == 3  # 200 + 200 + 50
    assert {(d.status, d.attempts) for d in deliveries(producer)} == {(DELIVERED, 1)}
    with consumer.app.app_context():
        assert consumer.events.stats()["inbox"]["handled"] == 450


def test_order_per_aggregate_is_kept_inside_and_across_batches(pair):
    """Events of three aggregates in batches of 8; one fails once: the later events of its
    aggregate wait for it (deferred, no attempt counted), the other aggregates go on."""
    producer, consumer = pair
    for n in range(40):
        publish(producer, {"n": n}, aggregate="abc"[n % 3])
    consumer.flaky = {4}  # aggregate b
    transport = through(consumer)
    worker = worker_for(producer, transport, batch_size=8)
    run(producer, worker)
    first = transport.bodies[0]
    assert len(first["events"]) == 8
    assert 4 in sent_n(first) and 7 in sent_n(first)
    assert 4 not in handled_n(consumer) and 7 not in handled_n(consumer)
    with producer.app.app_context():
        (seven,) = [
            d
            for d, e in producer.db.session.execute(
                select(producer.Delivery, producer.Outbox).join(
                    producer.Outbox, producer.Outbox.seq == producer.Delivery.event_seq
                )
            ).all()
            if e.envelope()["data"]["n"] == 7
        ]
        assert (seven.status, seven.attempts) == (PENDING, 0)  # deferred: not an attempt
    for _ in range(12):
        make_due(producer)
        run(producer, worker)
    handled = handled_n(consumer)
    assert sorted(handled) == list(range(40))
    for aggregate in range(3):
        mine = [n for n in handled if n % 3 == aggregate]
        assert mine == sorted(mine), f"aggregate {'abc'[aggregate]} out of order: {mine}"
    assert all(len(body["events"]) <= 8 for body in transport.bodies)


def test_one_failing_event_of_a_batch_is_retried_alone(pair):
    producer, consumer = pair
    for n, aggregate in [(1, "a"), (2, "b"), (3, "c")]:
        publish(producer, {"n": n}, aggregate=aggregate)
    consumer.colliding = {2}
    transport = through(consumer)
    worker = worker_for(producer, transport)
    run(producer, worker)
    assert handled_n(consumer) == [1, 3]
    states = [(d.status, d.attempts) for d in deliveries(producer)]
    assert states == [(DELIVERED, 1), (PENDING, 1), (DELIVERED, 1)]
    assert deliveries(producer)[1].last_error.startswith("503")
    with consumer.app.app_context():
        assert consumer.events.stats()["inbox"]["handled"] == 2  # nothing kept of n=2
    make_due(producer)
    run(producer, worker)
    assert sent_n(transport.bodies[-1]) == [2]
    assert handled_n(consumer) == [1, 3, 2]
    assert [(d.status, d.attempts) for d in deliveries(producer)][1] == (DELIVERED, 2)


def test_a_malformed_event_in_a_batch_is_dead_lettered_alone(pair):
    producer, consumer = pair
    publish(producer, {"n": 1}, aggregate="a")
    publish(producer, {"wrong": True}, aggregate="a")
    publish(producer, {"n": 3}, aggregate="a")
    run(producer, worker_for(producer, through(consumer)))
    assert [(d.status, d.attempts) for d in deliveries(producer)] == [
        (DELIVERED, 1),
        (DEAD, 1),
        (DELIVERED, 1),
    ]
    assert deliveries(producer)[1].last_error.startswith("422")
    assert handled_n(consumer) == [1, 3]


def test_a_duplicate_in_a_batch_is_acknowledged(pair):
    """The consumer kept a batch whose answer was lost: sent again, it is acknowledged."""
    producer, consumer = pair
    publish(producer, {"n": 1}, aggregate="a")
    publish(producer, {"n": 2}, aggregate="b")
    transport = through(consumer, lose_ack=[True, False])
    worker = worker_for(producer, transport)
    run(producer, worker)
    assert [d.status for d in deliveries(producer)] == [PENDING, PENDING]
    make_due(producer)
    run(producer, worker)
    assert [(d.status, d.attempts) for d in deliveries(producer)] == [(DELIVERED, 2)] * 2
    assert handled_n(consumer) == [1, 2]


def batch_post(consumer: Toy, events: list[dict], sender: str = "producer"):
    headers = bearer(mint_token(f"service:{sender}", ["service"], audience="consumer"))
    return consumer.app.test_client().post(
        "/internal/events/batch", json={"events": events}, headers=headers
    )


def envelope(n: int | None, event_id: str, version: int = 1, aggregate: str = "agg-1") -> dict:
    return {
        "id": event_id,
        "type": "thing.happened",
        "version": version,
        "occurred_at": "2026-11-30T08:00:00+00:00",
        "producer": "producer",
        "aggregate_id": aggregate,
        "data": {} if n is None else {"n": n},
    }


IDS = [f"6e0b1a8c-0000-4000-8000-00000000000{i}" for i in range(10)]


def test_the_batch_endpoint_answers_each_event_in_order(pair):
    _, consumer = pair
    events = [
        envelope(1, IDS[1]),
        envelope(1, IDS[1]),  # the same event twice in one batch
        {"id": "not-a-uuid", "type": "thing.happened"},  # malformed envelope
        envelope(None, IDS[2], aggregate="b"),  # malformed data
        envelope(3, IDS[3], version=9),  # no handler for this version
        envelope(4, IDS[4]),
    ]
    answer = batch_post(consumer, events)
    assert answer.status_code == 200
    results = answer.get_json()["results"]
    assert [r["status"] for r in results] == [
        "handled",
        "duplicate",
        "rejected",
        "rejected",
        "parked",
        "handled",
    ]
    assert [r["id"] for r in results][:2] == [IDS[1], IDS[1]]
    assert handled_n(consumer) == [1, 4]
    again = batch_post(consumer, [envelope(1, IDS[1]), envelope(5, IDS[5])]).get_json()
    assert [r["status"] for r in again["results"]] == ["duplicate", "handled"]


@pytest.mark.security
def test_the_batch_endpoint_needs_a_service_token_and_the_callers_own_events(pair):
    _, consumer = pair
    client = consumer.app.test_client()
    body = {"events": [envelope(1, IDS[1])]}
    assert client.post("/internal/events/batch", json=body).status_code == 401
    user = bearer(mint_token("p1", ["admin"]))
    assert client.post("/internal/events/batch", json=body, headers=user).status_code == 403
    mixed = [envelope(1, IDS[1]), {**envelope(2, IDS[2]), "producer": "elearning"}]
    assert batch_post(consumer, mixed).status_code == 403  # nothing handled, not even n=1
    assert consumer.handled == []
    for bad in ([], {"events": "x"}, [envelope(1, IDS[3])] * 501):
        headers = bearer(mint_token("service:producer", ["service"], audience="consumer"))
        body = bad if isinstance(bad, dict) else {"events": bad}
        answer = client.post("/internal/events/batch", json=body, headers=headers)
        assert answer.status_code == 422


def test_an_event_behind_a_long_backlog_does_not_wait_for_all_of_it(pair):
    """A quarter of each batch comes from the newest end of the queue, order kept."""
    producer, consumer = pair
    publish(producer, {"n": -1}, aggregate="urgent")
    for n in range(100):
        publish(producer, {"n": n}, aggregate=f"person-{n}")
    publish(producer, {"n": 1000}, aggregate="other")
    publish(producer, {"n": 1001}, aggregate="urgent")  # behind n=-1 of its aggregate
    worker = worker_for(producer, through(consumer), batch_size=8)
    run(producer, worker)
    first = handled_n(consumer)
    assert len(first) == 8 and 1000 in first and -1 in first
    assert 1001 not in first or first.index(-1) < first.index(1001)
    run(producer, worker, rounds=20)
    handled = handled_n(consumer)
    assert handled.index(-1) < handled.index(1001) and len(handled) == 103


def test_the_sending_threads_deliver_to_each_subscriber(pair, tmp_path):
    """run_rounds: fan-out in the loop's thread, two sending threads per subscriber."""
    producer, consumer = pair
    worker = worker_for(producer, through(consumer), batch_size=10)
    worker.wait_for_schema = lambda: None
    worker.idle_sleep = 0.01
    loop = worker.run_in_thread()
    try:
        for n in range(60):
            publish(producer, {"n": n}, aggregate=f"p{n % 7}")
        deadline = time.monotonic() + 30
        while len(consumer.handled) < 60 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        loop.join(timeout=30)
    assert not loop.is_alive()
    assert sorted(handled_n(consumer)) == list(range(60))
    assert set(worker._senders) == {("consumer", 0), ("consumer", 1)}  # two per subscriber
    for aggregate in range(7):  # each aggregate's events through one of them, in order
        mine = [n for n in handled_n(consumer) if n % 7 == aggregate]
        assert mine == sorted(mine)


def test_two_delivery_processes_never_send_one_event_twice(tmp_path):
    """Two replicas of the delivery loop on one outbox: one leads (the advisory lock on
    PostgreSQL, the file lock on SQLite) and sends, each event once, in order per aggregate."""
    with throwaway_database("toy", tmp_path) as url:
        producer = Toy("producer", ["thing.happened"], tmp_path, url=url)
        consumer = Toy("consumer", [], tmp_path)

        @consumer.events.handler("thing.happened")
        def on_thing(envelope):
            consumer.handled.append(envelope)

        sent: dict[str, int] = {}
        sent_by = [0, 0]
        inner = through(consumer)

        def counting_for(worker: int):
            def counting(url: str, body: dict, headers: dict) -> tuple[int, str]:
                for event in body["events"]:
                    sent[event["id"]] = sent.get(event["id"], 0) + 1
                sent_by[worker] += len(body["events"])
                return inner(url, body, headers)

            return counting

        workers = [worker_for(producer, counting_for(n), batch_size=20) for n in range(2)]
        loops = []
        for worker in workers:
            worker.standby_poll = 0.05
            worker.wait_for_schema = lambda: None
            worker.idle_sleep = 0.01
            loops.append(
                threading.Thread(target=worker.run_forever, kwargs={"handle_signals": False})
            )
        try:
            for loop in loops:
                loop.start()
            for n in range(300):
                publish(producer, {"n": n}, aggregate=f"p{n % 11}")
            deadline = time.monotonic() + 60
            while len(consumer.handled) < 300 and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            for worker in workers:
                worker.stop()
            for loop in loops:
                loop.join(timeout=30)
            with producer.app.app_context():
                producer.db.engine.dispose()
        assert sorted(handled_n(consumer)) == list(range(300))
        assert set(sent.values()) == {1}, "an event was sent twice"
        # Only the leader sent. (The other may lead for a moment as the first one stops,
        # with nothing left to send.)
        assert sorted(sent_by) == [0, 300]
        for aggregate in range(11):
            mine = [n for n in handled_n(consumer) if n % 11 == aggregate]
            assert mine == sorted(mine)


def test_a_fan_out_wakes_the_sending_threads_waiting_for_work(pair):
    """Deliveries made by a fan-out go out at once, not after the senders' idle sleep."""
    producer, consumer = pair
    worker = worker_for(producer, through(consumer), batch_size=10)
    worker.idle_sleep = 3600  # a sender only wakes for news
    worker._leading.set()
    worker._start_senders()
    try:
        publish(producer, {"n": 1})
        with producer.app.app_context():
            assert worker.fan_out() == 1
        deadline = time.monotonic() + 30
        while not consumer.handled and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        worker.stop()
        for news in worker._news.values():
            news.set()
        for thread in worker._senders.values():
            thread.join(timeout=30)
    assert handled_n(consumer) == [1]
    assert not any(thread.is_alive() for thread in worker._senders.values())
