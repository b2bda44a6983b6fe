"""Evaluation configuration, from the environment only."""

from __future__ import annotations

from typing import Any

from cakap_shared.config import base_config, env, env_bool, env_int

DEFAULT_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"


def load_config() -> dict[str, Any]:
    """Shared settings plus this service's own."""
    config = base_config("evaluation")
    config.update(
        {
            # Impact evaluation: due this many days after completion (six months).
            "IMPACT_EVALUATION_DELAY_DAYS": env_int("IMPACT_EVALUATION_DELAY_DAYS", 180),
            # Also ask the learner for a self-assessment beside the supervisor's evaluation.
            "IMPACT_SELF_ASSESSMENT": env_bool("IMPACT_SELF_ASSESSMENT", True),
            "IMPACT_REMIND_BEFORE_DAYS": env_int("IMPACT_REMIND_BEFORE_DAYS", 14),
            "IMPACT_ESCALATE_AFTER_DAYS": env_int("IMPACT_ESCALATE_AFTER_DAYS", 30),
            # A reaction survey still unanswered this many days after it was sent is overdue
            # (the supervisor's team page lists those).
            "SURVEY_OVERDUE_DAYS": env_int("SURVEY_OVERDUE_DAYS", 14),
            "CERTIFICATE_NUMBER_PREFIX": env("CERTIFICATE_NUMBER_PREFIX", "CKP"),
            # A TTF font for names beyond latin-1; without it the PDF falls back to Helvetica.
            "CERTIFICATE_FONT_PATH": env("CERTIFICATE_FONT_PATH", DEFAULT_FONT),
            "CERTIFICATE_ISSUER": env("CERTIFICATE_ISSUER", "BKPSDM Kota Palembang — Cakap"),
        }
    )
    return config
