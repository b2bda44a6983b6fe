"""Where unpacked module content lives: a small interface, on the local disk (one machine)
or in an S3-compatible bucket that every replica shares (MinIO, S3; docs/OPERATIONS.md)."""

from __future__ import annotations

import mimetypes
import os
import posixpath
import re
import shutil
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from flask import Flask, current_app

DEFAULT_ROOT = Path("var") / "content"
# Module keys become folder names: keep them boring.
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")


class UnsafePath(ValueError):
    """A module key or relative path that could reach outside the module's folder."""


class ContentStore(Protocol):
    """Stores each module's files under a key and serves them back by relative path."""

    def put_tree(self, module_key: str, src_dir: str | os.PathLike[str]) -> None:
        """Store every file under src_dir as the module's content (replacing none)."""
        ...

    def open(self, module_key: str, relpath: str) -> BinaryIO:
        """Open one stored file for reading; FileNotFoundError when absent."""
        ...

    def size(self, module_key: str, relpath: str) -> int:
        """The file's length in bytes; FileNotFoundError when absent."""
        ...

    def open_range(self, module_key: str, relpath: str, start: int, stop: int) -> BinaryIO:
        """Bytes start..stop-1 of a file (read no more than stop - start from it)."""
        ...

    def exists(self, module_key: str, relpath: str = "") -> bool:
        """True when the module (or one of its files) is stored."""
        ...

    def delete(self, module_key: str) -> None:
        """Remove a module's content; no error when it is already gone."""
        ...


def check_key(module_key: str) -> str:
    """Refuse a module key that is not a plain folder name."""
    if not _KEY.match(module_key):
        raise UnsafePath(f"invalid module key {module_key!r}")
    return module_key


def clean_relpath(relpath: str) -> str:
    """Normalise a package-relative path, refusing anything that could leave the package."""
    if "\\" in relpath or "\x00" in relpath or relpath.startswith("/"):
        raise UnsafePath(f"unsafe path {relpath!r}")
    clean = posixpath.normpath(relpath) if relpath else ""
    if clean in ("", ".") and relpath:
        return ""
    if clean == ".." or clean.startswith("../") or re.match(r"^[A-Za-z]:", clean):
        raise UnsafePath(f"unsafe path {relpath!r}")
    return "" if clean == "." else clean


class LocalContentStore:
    """ContentStore on the local disk: one folder per module under `root`."""

    def __init__(self, root: str | os.PathLike[str] = DEFAULT_ROOT) -> None:
        self.root = Path(root)

    def _path(self, module_key: str, relpath: str = "") -> Path:
        """Absolute path of a module file, checked to stay inside the module's folder."""
        base = (self.root / check_key(module_key)).resolve()
        rel = clean_relpath(relpath)
        target = (base / rel).resolve() if rel else base
        # resolve() follows links: a link planted in the folder cannot lead out of it.
        if target != base and base not in target.parents:
            raise UnsafePath(f"unsafe path {relpath!r}")
        return target

    def put_tree(self, module_key: str, src_dir: str | os.PathLike[str]) -> None:
        """Move (same disk) or copy src_dir into place as the module's content."""
        dest = self._path(module_key)
        if dest.exists():
            raise FileExistsError(f"module {module_key!r} is already stored")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(os.fspath(src_dir), dest)

    def open(self, module_key: str, relpath: str) -> BinaryIO:
        """Open one stored file for reading."""
        path = self._path(module_key, relpath)
        if not path.is_file():
            raise FileNotFoundError(relpath)
        return path.open("rb")

    def size(self, module_key: str, relpath: str) -> int:
        """The file's length in bytes."""
        path = self._path(module_key, relpath)
        if not path.is_file():
            raise FileNotFoundError(relpath)
        return path.stat().st_size

    def open_range(self, module_key: str, relpath: str, start: int, stop: int) -> BinaryIO:
        """The file, positioned at `start`."""
        fh = self.open(module_key, relpath)
        fh.seek(start)
        return fh

    def exists(self, module_key: str, relpath: str = "") -> bool:
        """True when the module folder (or a file in it) exists."""
        try:
            path = self._path(module_key, relpath)
        except UnsafePath:
            return False
        return path.is_file() if relpath else path.is_dir()

    def delete(self, module_key: str) -> None:
        """Remove the module's folder and everything in it."""
        shutil.rmtree(self._path(module_key), ignore_errors=True)


# What S3-compatible stores answer for a missing object (GET: NoSuchKey; HEAD: 404/NotFound).
_ABSENT = ("NoSuchKey", "404", "NotFound")


class S3ContentStore:
    """ContentStore in an S3-compatible bucket: `<prefix><module_key>/<relpath>` per file.

    Replicas share it, so a module uploaded through one is played through any other.
    `client` is a boto3 S3 client (endpoint, credentials and region from configuration).
    """

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def _key(self, module_key: str, relpath: str = "") -> str:
        base = f"{self.prefix}{check_key(module_key)}/"
        return base + clean_relpath(relpath) if relpath else base

    def put_tree(self, module_key: str, src_dir: str | os.PathLike[str]) -> None:
        """Upload every file under src_dir, then remove the local copy."""
        if self.exists(module_key):
            raise FileExistsError(f"module {module_key!r} is already stored")
        root = Path(src_dir)
        for path in sorted(p for p in root.rglob("*") if p.is_file() and not p.is_symlink()):
            relpath = path.relative_to(root).as_posix()
            content_type = mimetypes.guess_type(relpath)[0] or "application/octet-stream"
            self.client.upload_file(
                str(path),
                self.bucket,
                self._key(module_key, relpath),
                ExtraArgs={"ContentType": content_type},
            )
        shutil.rmtree(root, ignore_errors=True)

    def _get(self, module_key: str, relpath: str, **extra: Any) -> Any:
        from botocore.exceptions import ClientError

        if not clean_relpath(relpath):
            raise FileNotFoundError(relpath)
        try:
            return self.client.get_object(
                Bucket=self.bucket, Key=self._key(module_key, relpath), **extra
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _ABSENT:
                raise FileNotFoundError(relpath) from None
            raise

    def open(self, module_key: str, relpath: str) -> BinaryIO:
        """The object's body, streamed."""
        return self._get(module_key, relpath)["Body"]

    def size(self, module_key: str, relpath: str) -> int:
        """The object's length (a HEAD request)."""
        from botocore.exceptions import ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self._key(module_key, relpath))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _ABSENT:
                raise FileNotFoundError(relpath) from None
            raise
        return int(head["ContentLength"])

    def open_range(self, module_key: str, relpath: str, start: int, stop: int) -> BinaryIO:
        """Only the asked bytes travel from the store (an HTTP Range request)."""
        return self._get(module_key, relpath, Range=f"bytes={start}-{stop - 1}")["Body"]

    def exists(self, module_key: str, relpath: str = "") -> bool:
        """True when the module (or one of its files) is stored."""
        if relpath:
            try:
                self.size(module_key, relpath)
            except (FileNotFoundError, UnsafePath):
                return False
            return True
        listing = self.client.list_objects_v2(
            Bucket=self.bucket, Prefix=self._key(module_key), MaxKeys=1
        )
        return bool(listing.get("KeyCount"))

    def delete(self, module_key: str) -> None:
        """Remove every object of the module, a thousand per request."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(module_key)):
            keys = [{"Key": item["Key"]} for item in page.get("Contents", [])]
            if keys:
                self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys})


def init_store(app: Flask) -> None:
    """The content store of this app, as configured (CONTENT_STORE), unless a test set one."""
    if "elearning_store" in app.extensions:
        return
    kind = app.config["CONTENT_STORE"]
    if kind == "local":
        app.extensions["elearning_store"] = LocalContentStore(app.config["CONTENT_DIR"])
    elif kind == "s3":
        if not app.config["CONTENT_S3_BUCKET"]:
            raise RuntimeError("CONTENT_STORE=s3 needs CONTENT_S3_BUCKET")
        import boto3

        client = boto3.client("s3", endpoint_url=app.config["CONTENT_S3_ENDPOINT_URL"])
        app.extensions["elearning_store"] = S3ContentStore(
            client, app.config["CONTENT_S3_BUCKET"], app.config["CONTENT_S3_PREFIX"]
        )
    else:
        raise RuntimeError(f"CONTENT_STORE must be local or s3, not {kind!r}")


def store() -> ContentStore:
    """The current app's content store."""
    return current_app.extensions["elearning_store"]
