"""The shared `flask seed-demo` command."""

from __future__ import annotations

from cakap_shared.demo import seed_demo_command
from flask import Flask


def run(env: str, seed_answers: list[bool]) -> tuple[str, int]:
    app = Flask("probe")
    app.config["CAKAP_ENV"] = env
    app.cli.add_command(seed_demo_command("probe", lambda: seed_answers.pop(0)))
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    return result.output, result.exit_code


def test_it_loads_into_an_empty_database_and_skips_a_full_one() -> None:
    assert run("development", [True]) == ("probe: demo data loaded\n", 0)
    assert run("development", [False]) == ("probe: not empty, skipped\n", 0)


def test_it_never_loads_in_production() -> None:
    answers = [True]
    output, code = run("production", answers)
    assert code != 0 and "never loaded in production" in output
    assert answers == [True]  # the seed function was not called
