"""Where unpacked module content lives: a small interface and a local-disk implementation."""

from __future__ import annotations

import os
import posixpath
import re
import shutil
from pathlib import Path
from typing import BinaryIO, Protocol

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
