"""Idempotency-Key: the same key and request replays the first answer and acts once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from cakap_shared.auth import TokenCache, init_auth
from cakap_shared.config import base_config
from cakap_shared.db import utcnow
from cakap_shared.idempotency import IN_PROGRESS, IdempotencyRecordMixin, init_idempotency
from cakap_shared.platform import verifier_from_config
from cakap_shared.testing import bearer, mint_token, service_test_config
from flask import Flask, jsonify, request
from flask_sqlalchemy import SQLAlchemy

pytestmark = pytest.mark.database_free


@pytest.fixture
def toy(tmp_path):
    db = SQLAlchemy()
    record = type("ToyIdem", (IdempotencyRecordMixin, db.Model), {"__module__": __name__})
    app = Flask("toy")
    app.config.update(base_config("toy"))
    app.config.update(service_test_config("toy", f"sqlite:///{tmp_path}/toy.db"))
    db.init_app(app)
    init_auth(app, TokenCache(verifier_from_config(app)))
    init_idempotency(app, db, record)
    created: list[dict] = []

    @app.post("/api/v1/things")
    def create_thing():
        body = request.get_json()
        if body.get("bad"):
            return jsonify(detail="bad"), 422
        created.append({"body": body, "query": dict(request.args)})
        return jsonify(id=len(created), name=body.get("name")), 201

    with app.app_context():
        db.create_all()
    app.created = created
    app.record = record
    app.db = db
    return app


def post(app, body, key="k-1", who="p1", path="/api/v1/things"):
    headers = {**bearer(mint_token(who, ["asn"])), "Idempotency-Key": key}
    return app.test_client().post(path, json=body, headers=headers)


def test_same_key_and_body_replays_the_first_answer_and_acts_once(toy):
    first = post(toy, {"name": "a"})
    again = post(toy, {"name": "a"})
    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json() == {"id": 1, "name": "a"}
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(toy.created) == 1


def test_same_key_with_another_body_or_query_is_422(toy):
    post(toy, {"name": "a"})
    other_body = post(toy, {"name": "b"})
    other_query = post(toy, {"name": "a"}, path="/api/v1/things?format=gift")
    assert other_body.status_code == other_query.status_code == 422
    assert other_body.get_json()["errors"] == {
        "Idempotency-Key": ["reused with a different request"]
    }
    assert len(toy.created) == 1


def test_a_refused_request_is_not_remembered(toy):
    assert post(toy, {"bad": True}).status_code == 422
    assert post(toy, {"bad": True}).status_code == 422
    with toy.app_context():
        assert toy.db.session.query(toy.record).count() == 0


def test_keys_belong_to_their_caller(toy):
    post(toy, {"name": "a"}, who="p1")
    post(toy, {"name": "a"}, who="p2")
    assert len(toy.created) == 2


def claim_in_progress(toy, age: timedelta) -> None:
    from cakap_shared import idempotency

    with toy.test_request_context("/api/v1/things", method="POST", json={"name": "a"}):
        request_hash = idempotency._request_hash()
    with toy.app_context():
        toy.db.session.add(
            toy.record(
                principal_id="p1",
                key="k-1",
                request_hash=request_hash,
                status=IN_PROGRESS,
                content_type="",
                body="",
                created_at=utcnow() - age,
            )
        )
        toy.db.session.commit()


def test_a_twin_of_a_request_in_progress_is_409(toy):
    claim_in_progress(toy, timedelta(seconds=1))
    response = post(toy, {"name": "a"})
    assert response.status_code == 409
    assert response.headers["Retry-After"] == "1"
    assert toy.created == []


def test_an_abandoned_claim_does_not_block_the_key_forever(toy):
    claim_in_progress(toy, timedelta(minutes=10))
    assert post(toy, {"name": "a"}).status_code == 201
    assert len(toy.created) == 1


def test_posts_without_a_key_are_untouched(toy):
    client = toy.test_client()
    headers = bearer(mint_token("p1", ["asn"]))
    client.post("/api/v1/things", json={"name": "a"}, headers=headers)
    client.post("/api/v1/things", json={"name": "a"}, headers=headers)
    assert len(toy.created) == 2
