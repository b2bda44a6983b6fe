"""Personnel configuration, from the environment only."""

from __future__ import annotations

from typing import Any

from cakap_shared.config import base_config, env, env_int, env_secret, var_dir


def load_config() -> dict[str, Any]:
    """Shared settings plus the token issuer's own."""
    config = base_config("personnel")
    config.update(
        {
            # PEM of the RS256 signing key; in development `flask dev-key` writes one to var/.
            "JWT_PRIVATE_KEY": env_secret("JWT_PRIVATE_KEY"),
            "DEV_KEY_PATH": str(var_dir() / "keys" / "jwt-private.pem"),
            "ACCESS_TOKEN_TTL": env_int("ACCESS_TOKEN_TTL", 900),
            "SERVICE_TOKEN_TTL": env_int("SERVICE_TOKEN_TTL", 300),
            # Failed sign-ins allowed per window before 429, per user name and per address.
            "LOGIN_WINDOW_SECONDS": env_int("LOGIN_WINDOW_SECONDS", 900),
            "LOGIN_MAX_FAILURES_PER_USER": env_int("LOGIN_MAX_FAILURES_PER_USER", 5),
            "LOGIN_MAX_FAILURES_PER_ADDRESS": env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 30),
            "JP_TARGET_PNS": env_int("JP_TARGET_PNS", 20),
            "JP_TARGET_PPPK": env_int("JP_TARGET_PPPK", 20),
            # Fewer active people than this in a unit: its figures are not shown (they would
            # name individuals).
            "UNIT_SUMMARY_MIN_PEOPLE": env_int("UNIT_SUMMARY_MIN_PEOPLE", 5),
            "IMPORT_MAX_BYTES": env_int("IMPORT_MAX_BYTES", 20 * 1024 * 1024),
            "IMPORT_MAX_ROWS": env_int("IMPORT_MAX_ROWS", 100_000),
            # X-Forwarded-For is believed only with the gateway's secret (cakap_shared.forwarding).
            "FORWARDER_SECRET": env_secret("GATEWAY_FORWARDER_SECRET"),
            # A refresh-token family ends this long after its sign-in, however often rotated.
            "REFRESH_TOKEN_TTL": env_int("REFRESH_TOKEN_TTL", 10 * 3600),
            "ACTIVATION_CODE_TTL": env_int("ACTIVATION_CODE_TTL", 14 * 24 * 3600),
            "RESET_CODE_TTL": env_int("RESET_CODE_TTL", 3600),
            # Self-service reset requests per LOGIN_WINDOW_SECONDS, per address and per user name.
            "RESET_MAX_PER_ADDRESS": env_int("RESET_MAX_PER_ADDRESS", 10),
            "RESET_MAX_PER_USER": env_int("RESET_MAX_PER_USER", 3),
            "CAKAP_ENV": env("CAKAP_ENV", "development"),
            # A TTF font for the activation sheet's names beyond latin-1 (else Helvetica).
            "PDF_FONT_PATH": env(
                "PDF_FONT_PATH", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
            ),
        }
    )
    config["MAX_CONTENT_LENGTH"] = config["IMPORT_MAX_BYTES"] + 64 * 1024
    return config
