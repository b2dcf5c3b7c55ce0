"""Where the grammar and the schemas are found.

In a built wheel they are package data (`dialplan_compiler/grammar`,
`dialplan_compiler/schemas`, copied there at build time from the top-level
folders). In a source checkout or an editable install they are the top-level
`grammar/` and `schemas/` folders themselves.
"""

from __future__ import annotations

import json
import os
from functools import cache
from typing import Any

# Plain os.path: pathlib's import costs more than a whole small check.
_PACKAGE = os.path.dirname(os.path.realpath(__file__))


@cache
def data_dir(name: str) -> str:
    candidates = (os.path.join(_PACKAGE, name), os.path.join(os.path.dirname(_PACKAGE), name))
    for candidate in candidates:
        if os.path.isdir(candidate):
            return candidate
    raise FileNotFoundError(
        f"the {name}/ folder is missing from the dialplan installation "
        f"(looked in {candidates[0]} and {candidates[1]})")


def grammar_path() -> str:
    return os.path.join(data_dir("grammar"), "dialplan.lark")


def schema_path(name: str) -> str:
    return os.path.join(data_dir("schemas"), name)


#: The request body of POST /voice/conversation, and a dialplan {"verbs": […]}.
CONVERSATION = "conversation.schema.json"
DIALPLAN = "dialplan.schema.json"
#: One verb of a dialplan, as Routee's reference pages show them.
VERB = "verb.schema.json"
#: The bodies Routee sends: to a dialPlanUrl, to an eventUrl, to a callback URL.
PLAN_REQUEST = "plan-request.schema.json"
EVENT = "event.schema.json"
CALLBACK = "callback.schema.json"
#: Every schema, for a registry in which they refer to each other by file name.
SCHEMAS = (CONVERSATION, DIALPLAN, VERB, PLAN_REQUEST, EVENT, CALLBACK)


@cache
def load_schema(name: str) -> dict[str, Any]:
    """One of the schemas, parsed once."""
    with open(schema_path(name), encoding="utf-8") as handle:
        return json.load(handle)
