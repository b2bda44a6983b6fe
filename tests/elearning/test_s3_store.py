"""The S3-compatible content store, against moto's S3 server over real HTTP.

Replicas share packages through it: a module uploaded through one elearning app is
played through another, and the player streams files with Range (video seeking)
without the file ever landing on the replica's disk.
"""

from __future__ import annotations

import io
import json
import os
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from cakap_shared.testing import service_test_config
from elearning_service import create_app
from elearning_service.domain.storage import S3ContentStore, UnsafePath
from elearning_service.extensions import db

BUCKET = "cakap-konten"


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    """A boto3 client on a fresh bucket (credentials as a deployment gives them: AWS_*)."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "cakap")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "cakap-secret")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_round_trip_of_a_module_tree(s3, tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "bab1").mkdir(parents=True)
    (tree / "index.html").write_bytes(b"<html>halo</html>")
    (tree / "bab1" / "klip.bin").write_bytes(bytes(range(256)) * 4)
    store = S3ContentStore(s3, BUCKET, prefix="modul/")
    store.put_tree("m1", tree)
    assert not tree.exists()  # uploaded, not left on the replica's disk
    assert store.exists("m1") and store.exists("m1", "bab1/klip.bin")
    assert not store.exists("m2") and not store.exists("m1", "bab1/lain.bin")
    with store.open("m1", "index.html") as fh:
        assert fh.read() == b"<html>halo</html>"
    assert store.size("m1", "bab1/klip.bin") == 1024
    with store.open_range("m1", "bab1/klip.bin", 250, 260) as fh:
        assert fh.read() == bytes(range(250, 256)) + bytes(range(4))
    head = s3.head_object(Bucket=BUCKET, Key="modul/m1/index.html")
    assert head["ContentType"] == "text/html"
    with pytest.raises(FileExistsError):
        store.put_tree("m1", tmp_path)
    with pytest.raises(FileNotFoundError):
        store.open("m1", "tidak-ada.html")
    with pytest.raises(UnsafePath):
        store.open("m1", "../m2/index.html")
    with pytest.raises(UnsafePath):
        store.exists("../m1")
    store.delete("m1")
    assert not store.exists("m1")
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


def _content_base(client, launch_url: str) -> tuple[str, str]:
    """The player page's first item URL and the base its other files hang from."""
    answer = client.get(launch_url)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200, html[:500]
    player = json.loads(html.split("window.CAKAP_PLAYER = ", 1)[1].split(";</script>", 1)[0])
    first = player["items"][0]["url"]
    return first, first.rsplit("/content/", 1)[0]


def _package_with_media(sample_zip: bytes, media: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(sample_zip)) as src, zipfile.ZipFile(buf, "w") as out:
        for entry in src.infolist():
            out.writestr(entry, src.read(entry))
        out.writestr("media/klip.mp4", media)
    return buf.getvalue()


def test_a_replica_plays_what_another_uploaded_with_ranges(
    app, client, upload, as_user, sample_zip, fake_catalog, s3, s3_endpoint, content_root
) -> None:
    config = {
        "CONTENT_STORE": "s3",
        "CONTENT_S3_BUCKET": BUCKET,
        "CONTENT_S3_ENDPOINT_URL": s3_endpoint,
    }
    # Replica one: the session's app, switched to the shared store for this test.
    first_store = app.extensions.pop("elearning_store")
    try:
        app.config.update(config)
        from elearning_service.domain.storage import init_store

        init_store(app)
        assert isinstance(app.extensions["elearning_store"], S3ContentStore)
        media = os.urandom(700 * 1024)  # several streaming chunks
        module = upload(_package_with_media(sample_zip, media)).get_json()
        assert list(content_root.iterdir()) == []  # nothing on this replica's disk
        launched = client.post(
            f"/api/v1/modules/{module['id']}/attempts", headers=as_user("learner")
        )
        assert launched.status_code == 201, launched.get_json()
        launch_url = launched.get_json()["launch_url"]
    finally:
        app.extensions["elearning_store"] = first_store
        app.config["CONTENT_STORE"] = "local"
    # Replica two: another app on the same database and bucket, its store from config.
    second = create_app(
        service_test_config(
            "elearning",
            app.config["SQLALCHEMY_DATABASE_URI"],
            LAUNCH_SECRET=app.config["LAUNCH_SECRET"],
            CONTENT_DIR=str(content_root / "replica-two"),
            **config,
        )
    )
    second.extensions["elearning_catalog"] = fake_catalog
    second.extensions["elearning_launch"].clock = app.extensions["elearning_launch"].clock
    other = second.test_client()
    first, base = _content_base(other, launch_url)
    page = other.get(first)
    assert page.status_code == 200 and b"window.API = api" in page.get_data()
    whole = other.get(f"{base}/content/media/klip.mp4")
    assert whole.status_code == 200 and whole.get_data() == media
    assert whole.headers["Accept-Ranges"] == "bytes"
    part = other.get(f"{base}/content/media/klip.mp4", headers={"Range": "bytes=300000-300999"})
    assert part.status_code == 206
    assert part.headers["Content-Range"] == f"bytes 300000-300999/{len(media)}"
    assert part.get_data() == media[300000:301000]
    tail = other.get(f"{base}/content/media/klip.mp4", headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.get_data() == media[-10:]
    outside = other.get(f"{base}/content/media/klip.mp4", headers={"Range": "bytes=999999999-"})
    assert outside.status_code == 416
    assert outside.headers["Content-Range"] == f"bytes */{len(media)}"
    assert outside.content_type == "application/problem+json"
    assert other.get(f"{base}/content/media/tidak-ada.mp4").status_code == 404
    assert not (content_root / "replica-two").exists()
    with second.app_context():
        db.engine.dispose()


def test_the_local_store_answers_ranges_too(client, upload, as_user, sample_zip) -> None:
    media = os.urandom(4096)
    module = upload(_package_with_media(sample_zip, media)).get_json()
    launched = client.post(f"/api/v1/modules/{module['id']}/attempts", headers=as_user("learner"))
    _, base = _content_base(client, launched.get_json()["launch_url"])
    part = client.get(f"{base}/content/media/klip.mp4", headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.get_data() == media[100:200]
    assert client.get(f"{base}/content/media/klip.mp4").get_data() == media
