"""dialplan: a compiler and checker for voice call scripts on Routee's Voice API.

    >>> from dialplan_compiler import compile_source
    >>> payload, diagnostics = compile_source('say "Hello." in en-GB')
    >>> payload
    {'verbs': [{'type': 'SAY', 'message': {'text': 'Hello.', 'language': 'en-GB'}}]}
"""

__version__ = "0.1.0"

__all__ = ["Diagnostic", "Result", "Severity", "Span", "check_source", "compile_source",
           "__version__"]

#: Where each name of the API lives. They are imported when first used, so
#: that `dialplan check` of files it remembers (cache.py) never loads the
#: parser and checker.
_API = {"Result": "compiler", "check_source": "compiler", "compile_source": "compiler",
        "Diagnostic": "diagnostics", "Severity": "diagnostics", "Span": "nodes"}


def __getattr__(name: str):
    if name in _API:
        from importlib import import_module

        value = getattr(import_module(f".{_API[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_API))
