"""Question banks through the API: ownership, validation with field names, import/export."""

from io import BytesIO
from pathlib import Path

DATA = Path(__file__).parent / "data"
SINGLE = {
    "type": "single",
    "text": "Ibu kota Sumatera Selatan?",
    "choices": ["Palembang", "Jambi"],
    "answer": 0,
    "tags": ["geo"],
    "level": 1,
}


def make_bank(client, auth, who="trainer", title="Bank A"):
    response = client.post("/api/v1/question-banks", json={"title": title}, headers=auth(who))
    assert response.status_code == 201, response.json
    return response.json["id"]


def test_bank_crud_and_ownership(client, auth, ids):
    bank_id = make_bank(client, auth)
    listed = client.get("/api/v1/question-banks", headers=auth("trainer")).json
    assert [b["id"] for b in listed["items"]] == [bank_id]
    assert listed["items"][0]["owner_id"] == ids["trainer"]
    assert client.get("/api/v1/question-banks", headers=auth("other_trainer")).json["total"] == 0
    assert client.get("/api/v1/question-banks", headers=auth("admin")).json["total"] == 1
    assert (
        client.get(f"/api/v1/question-banks/{bank_id}", headers=auth("other_trainer")).status_code
        == 404
    )
    assert client.get(f"/api/v1/question-banks/{bank_id}", headers=auth("admin")).status_code == 200
    assert client.get("/api/v1/question-banks", headers=auth("learner")).status_code == 403
    renamed = client.patch(
        f"/api/v1/question-banks/{bank_id}", json={"title": "Baru"}, headers=auth("trainer")
    )
    assert renamed.json["title"] == "Baru"
    assert (
        client.delete(
            f"/api/v1/question-banks/{bank_id}", headers=auth("other_trainer")
        ).status_code
        == 404
    )
    assert (
        client.delete(f"/api/v1/question-banks/{bank_id}", headers=auth("trainer")).status_code
        == 204
    )


def test_question_validation_names_the_field(client, auth):
    bank_id = make_bank(client, auth)
    url = f"/api/v1/question-banks/{bank_id}/questions"
    created = client.post(url, json=SINGLE, headers=auth("trainer"))
    assert created.status_code == 201
    assert created.json["answer"] == 0 and created.json["tags"] == ["geo"]
    out_of_range = client.post(url, json={**SINGLE, "answer": 5}, headers=auth("trainer"))
    assert out_of_range.status_code == 422
    assert "answer" in out_of_range.json["errors"]
    no_correct = client.post(
        url,
        json={"type": "multiple", "text": "x", "choices": ["a", "b"], "answer": []},
        headers=auth("trainer"),
    )
    assert no_correct.status_code == 422 and "answer" in no_correct.json["errors"]
    bad_type = client.post(url, json={"type": "matching", "text": "x"}, headers=auth("trainer"))
    assert bad_type.status_code == 422 and "type" in bad_type.json["errors"]
    assert client.post(url, json=SINGLE, headers=auth("other_trainer")).status_code == 404
    qid = created.json["id"]
    assert client.get(f"/api/v1/questions/{qid}", headers=auth("other_trainer")).status_code == 404
    edited = client.put(
        f"/api/v1/questions/{qid}", json={**SINGLE, "answer": 1}, headers=auth("trainer")
    )
    assert edited.json["answer"] == 1
    listed = client.get(f"{url}?tag=geo", headers=auth("trainer")).json
    assert listed["total"] == 1
    assert client.get(f"{url}?tag=none", headers=auth("trainer")).json["total"] == 0


def upload(client, auth, bank_id, path, name=None, fmt=None):
    query = f"?format={fmt}" if fmt else ""
    return client.post(
        f"/api/v1/question-banks/{bank_id}/import{query}",
        data={"file": (BytesIO(path.read_bytes()), name or path.name)},
        headers=auth("trainer"),
        content_type="multipart/form-data",
    )


def test_gift_import_reports_lines_and_exports(client, auth):
    bank_id = make_bank(client, auth)
    response = upload(client, auth, bank_id, DATA / "kuis_pelatihan.gift")
    assert response.status_code == 200, response.json
    assert response.json["format"] == "gift"
    assert response.json["created"] == 6
    assert [e["line"] for e in response.json["errors"]] == [27, 29]
    questions = client.get(
        f"/api/v1/question-banks/{bank_id}/questions", headers=auth("trainer")
    ).json["items"]
    assert [q["type"] for q in questions] == [
        "single",
        "multiple",
        "true_false",
        "short_answer",
        "numeric",
        "essay",
    ]
    assert questions[0]["tags"] == ["BerAKHLAK"] and questions[0]["level"] == 2
    gift = client.get(
        f"/api/v1/question-banks/{bank_id}/export?format=gift", headers=auth("trainer")
    )
    assert gift.status_code == 200 and "BerAKHLAK" in gift.get_data(as_text=True)
    aiken = client.get(
        f"/api/v1/question-banks/{bank_id}/export?format=aiken", headers=auth("trainer")
    )
    assert aiken.headers["X-Skipped-Questions"] == "5"
    assert "ANSWER: A" in aiken.get_data(as_text=True)
    assert (
        client.get(
            f"/api/v1/question-banks/{bank_id}/export", headers=auth("other_trainer")
        ).status_code
        == 404
    )


def test_aiken_import_reports_lines(client, auth):
    bank_id = make_bank(client, auth)
    response = upload(client, auth, bank_id, DATA / "kuis_pelatihan.aiken.txt")
    assert response.json["format"] == "aiken"
    assert response.json["created"] == 2
    assert response.json["errors"] == [
        {"line": 14, "message": "missing ANSWER line"},
        {"line": 18, "message": "ANSWER 'C' on line 21 is not among the choices A, B"},
    ]


def test_moodle_fixtures_import(client, auth, shared_fixtures):
    bank_id = make_bank(client, auth)
    base = shared_fixtures / "quiz_moodle_question_format_fixtures"
    gift = upload(client, auth, bank_id, base / "gift/questions.gift.txt", fmt="gift")
    assert gift.json["created"] == 8
    assert gift.json["errors"] == [{"line": 5, "message": "matching questions are not supported"}]
    aiken = upload(client, auth, bank_id, base / "aiken/questions.aiken.txt", fmt="aiken")
    assert (aiken.json["created"], aiken.json["errors"]) == (2, [])


def test_import_refuses_bad_files(client, auth):
    bank_id = make_bank(client, auth)
    url = f"/api/v1/question-banks/{bank_id}/import"
    binary = client.post(
        url,
        data={"file": (BytesIO(b"\xff\xfe\x00bad"), "x.gift")},
        headers=auth("trainer"),
        content_type="multipart/form-data",
    )
    assert binary.status_code == 422 and "file" in binary.json["errors"]
    missing = client.post(url, data={}, headers=auth("trainer"), content_type="multipart/form-data")
    assert missing.status_code == 422
