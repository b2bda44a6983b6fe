"""LocalContentStore: storing, serving and refusing unsafe paths."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from elearning_service.domain.storage import (
    ContentStore,
    LocalContentStore,
    UnsafePath,
    clean_relpath,
)


@pytest.fixture
def store(tmp_path: Path) -> LocalContentStore:
    """A store rooted in the test's tmp dir."""
    return LocalContentStore(tmp_path / "content")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """A small unpacked module."""
    src = tmp_path / "unpacked"
    (src / "bab1").mkdir(parents=True)
    (src / "imsmanifest.xml").write_text("<manifest/>")
    (src / "bab1" / "index.html").write_text("<h1>Nilai Dasar ASN</h1>")
    return src


def test_is_a_content_store(store):
    assert isinstance(store, LocalContentStore)
    _: ContentStore = store  # the Protocol is satisfied structurally


def test_put_open_exists_delete(store, tree):
    assert not store.exists("m1")
    store.put_tree("m1", tree)
    assert store.exists("m1")
    assert store.exists("m1", "bab1/index.html")
    assert not store.exists("m1", "bab1/missing.html")
    with store.open("m1", "bab1/./index.html") as fh:
        assert fh.read() == b"<h1>Nilai Dasar ASN</h1>"
    store.delete("m1")
    assert not store.exists("m1")
    store.delete("m1")  # idempotent


def test_put_refuses_to_overwrite(store, tree, tmp_path):
    store.put_tree("m1", tree)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(FileExistsError):
        store.put_tree("m1", other)


def test_open_missing_or_folder_is_not_found(store, tree):
    store.put_tree("m1", tree)
    with pytest.raises(FileNotFoundError):
        store.open("m1", "nope.html")
    with pytest.raises(FileNotFoundError):
        store.open("m1", "bab1")


@pytest.mark.parametrize(
    "relpath",
    [
        "../m2/secret.txt",
        "bab1/../../m2/secret.txt",
        "/etc/passwd",
        "..\\m2\\secret.txt",
        "C:/x",
        "a\x00b",
    ],
)
def test_unsafe_relpaths_are_refused(store, tree, tmp_path, relpath):
    store.put_tree("m1", tree)
    with pytest.raises(UnsafePath):
        store.open("m1", relpath)
    assert not store.exists("m1", relpath)


@pytest.mark.parametrize("key", ["", "..", "a/b", "../m", ".hidden", "a b", "x" * 200])
def test_unsafe_keys_are_refused(store, key):
    with pytest.raises(UnsafePath):
        store.delete(key)


@pytest.mark.security
def test_symlink_inside_the_tree_cannot_lead_out(store, tree, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("rahasia")
    os.symlink(secret, tree / "bab1" / "link.html")
    store.put_tree("m1", tree)
    with pytest.raises(UnsafePath):
        store.open("m1", "bab1/link.html")


@pytest.mark.parametrize(
    ("raw", "clean"), [("a/./b.html", "a/b.html"), ("a//b", "a/b"), ("a/b/../c", "a/c"), ("", "")]
)
def test_clean_relpath(raw, clean):
    assert clean_relpath(raw) == clean


def test_default_root_is_var_content():
    assert LocalContentStore().root == Path("var") / "content"
