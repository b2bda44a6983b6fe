"""Migrations newer than the last release only expand the schema (docs/decisions/0009).

The previous release's replicas keep serving during a rollout, against the new schema:
a migration since then may add but not drop, rename or tighten, unless it declares
itself a contract step (`CONTRACT = "..."`).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory
from conftest import REPO_ROOT

pytestmark = pytest.mark.database_free

RELEASED = json.loads((REPO_ROOT / "deploy" / "released-migrations.json").read_text())["heads"]
DESTRUCTIVE_CALLS = {"drop_column", "drop_table", "rename_table"}
DESTRUCTIVE_SQL = re.compile(
    r"\b(DROP\s+(COLUMN|TABLE)|RENAME\s+(COLUMN|TO)|SET\s+NOT\s+NULL|ALTER\s+COLUMN\s+\S+\s+TYPE)\b",
    re.IGNORECASE,
)


def contracting_operations(source: str) -> list[str]:
    """What in a migration's upgrade() would break the previous release's code."""
    tree = ast.parse(source)
    if any(
        isinstance(node, ast.Assign)
        and any(getattr(t, "id", "") == "CONTRACT" for t in node.targets)
        for node in tree.body
    ):
        return []
    upgrade = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )
    if upgrade is None:
        return []
    found = []
    for node in ast.walk(upgrade):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "attr", getattr(node.func, "id", ""))
        keywords = {k.arg: k.value for k in node.keywords}
        where = f"line {node.lineno}: {name}"
        if name in DESTRUCTIVE_CALLS or (
            name == "alter_column"
            and (
                "new_column_name" in keywords
                or "type_" in keywords
                or _is_false(keywords.get("nullable"))
            )
        ):
            found.append(where)
        elif name == "add_column" and any(_required_without_default(a) for a in node.args):
            found.append(f"{where} (NOT NULL without a server default)")
        elif name in ("execute", "text") and any(
            isinstance(a, ast.Constant)
            and isinstance(a.value, str)
            and DESTRUCTIVE_SQL.search(a.value)
            for a in node.args
        ):
            found.append(f"{where} (destructive SQL)")
    return sorted(found, key=lambda f: int(f.split(":")[0].removeprefix("line ")))


def _is_false(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _required_without_default(node: ast.expr) -> bool:
    if not (isinstance(node, ast.Call) and getattr(node.func, "attr", "") == "Column"):
        return False
    keywords = {k.arg: k.value for k in node.keywords}
    return _is_false(keywords.get("nullable")) and "server_default" not in keywords


def migrations_since_release(service: str) -> list[Path]:
    config = Config()
    config.set_main_option("script_location", str(REPO_ROOT / "services" / service / "migrations"))
    scripts = ScriptDirectory.from_config(config)
    released = RELEASED[service]
    newer = []
    for revision in scripts.walk_revisions():
        if revision.revision == released:
            break
        newer.append(Path(revision.path))
    else:
        assert released is None, f"{service}: released head {released} is not in the history"
    return newer


@pytest.mark.parametrize("service", sorted(RELEASED))
def test_migrations_since_the_release_only_expand(service: str) -> None:
    for path in migrations_since_release(service):
        assert contracting_operations(path.read_text()) == [], (
            f"{path.name} contracts the schema the previous release still uses; split it "
            "(docs/decisions/0009) or mark the contract step with CONTRACT = '...'"
        )


def test_every_service_with_migrations_is_tracked() -> None:
    services = {p.parent.name for p in REPO_ROOT.glob("services/*/migrations")}
    assert services == set(RELEASED)


BAD = """
import sqlalchemy as sa
from alembic import op

def upgrade():
    op.add_column("people", sa.Column("rank", sa.String(), nullable=False))
    op.add_column("people", sa.Column("note", sa.String(), nullable=True))
    op.add_column("people", sa.Column("kind", sa.String(), nullable=False, server_default="x"))
    with op.batch_alter_table("people") as batch_op:
        batch_op.alter_column("name", new_column_name="full_name")
        batch_op.drop_column("old")
    op.execute("ALTER TABLE people ALTER COLUMN nip SET NOT NULL")

def downgrade():
    op.drop_column("people", "rank")
"""


def test_the_check_finds_each_contracting_operation() -> None:
    found = contracting_operations(BAD)
    assert [f.split(":")[1].split()[0] for f in found] == [
        "add_column",
        "alter_column",
        "drop_column",
        "execute",
    ]
    assert (
        contracting_operations(
            BAD.replace("import sqlalchemy", "CONTRACT = 'r2'\nimport sqlalchemy")
        )
        == []
    )
