"""What every service's API schemas share: moments in UTC, states, pages."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import marshmallow as ma


class UtcDateTime(ma.fields.DateTime):
    """A moment dumped with its UTC offset, as OpenAPI's date-time requires.

    SQLite hands stored moments back naive; every stored moment is UTC.
    """

    def _serialize(
        self, value: datetime | None, attr: str | None, obj: object, **kwargs: Any
    ) -> str | float | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


def state_field(
    enum: type[StrEnum], description: str | None = None, **kwargs: Any
) -> ma.fields.Enum[Any]:
    """A state kept as a StrEnum, loaded and dumped as its plain value ("published").

    `by_value=String`, not True: the OpenAPI document then says `type: string` beside the
    values.
    """
    metadata = {
        **kwargs.pop("metadata", {}),
        **({"description": description} if description else {}),
    }
    return ma.fields.Enum(enum, by_value=ma.fields.String, metadata=metadata, **kwargs)


class PageArgsSchema(ma.Schema):
    """`page` from 1, `per_page` from 1; more than 100 per page is answered with 100."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000))
    per_page = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=10_000))


def page_schema(item_schema: type[ma.Schema], name: str | None = None) -> type[ma.Schema]:
    """A response schema for a page of `item_schema`."""
    fields: dict[str, ma.fields.Field[Any]] = {
        "items": ma.fields.List(ma.fields.Nested(item_schema)),
        "total": ma.fields.Integer(),
        "page": ma.fields.Integer(),
        "per_page": ma.fields.Integer(),
    }
    return ma.Schema.from_dict(fields, name=name or f"{item_schema.__name__}Page")
