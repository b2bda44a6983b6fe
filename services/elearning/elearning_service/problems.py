"""422 answers that keep their own detail next to the field errors.

cakap_shared's converter replaces the detail of any 422 that has `errors` with
"Some fields are invalid: ..." when the detail equals the exception's description; a
trainer needs the real reason ("bab2/index.html is referenced but not in the package"),
so the description is set apart from the detail. (Reported for the shared package.)
"""

from __future__ import annotations

from typing import Any

from cakap_shared.problems import CakapError


def unprocessable(detail: str, errors: dict[str, list[str]], **extra: Any) -> CakapError:
    """A 422 problem whose detail is `detail` and whose errors name the fields."""
    err = CakapError(422, detail, errors=errors, **extra)
    err.description = f"Unprocessable: {detail}"
    return err
