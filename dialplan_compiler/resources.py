"""Where the grammar and the schemas are found.

In a built wheel they are package data (`dialplan_compiler/grammar`,
`dialplan_compiler/schemas`, copied there at build time from the top-level
folders). In a source checkout or an editable install they are the top-level
`grammar/` and `schemas/` folders themselves.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    for candidate in (_PACKAGE / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"the {name}/ folder is missing from the dialplan installation "
        f"(looked in {_PACKAGE / name} and {_PACKAGE.parent / name})")


def grammar_path() -> Path:
    return data_dir("grammar") / "dialplan.lark"


def schema_path(name: str) -> Path:
    return data_dir("schemas") / name
