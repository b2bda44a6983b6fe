"""A field shared by the API schemas: a state kept as a StrEnum, shown as its string value."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import marshmallow as ma


def state(enum: type[StrEnum], description: str | None = None, **kwargs: Any) -> ma.fields.Enum:
    """The enum's value in JSON; documented as a string with its values (apispec gives an
    Enum field no type of its own)."""
    metadata: dict[str, Any] = {"type": "string"}
    if description:
        metadata["description"] = description
    return ma.fields.Enum(enum, by_value=True, metadata=metadata, **kwargs)
