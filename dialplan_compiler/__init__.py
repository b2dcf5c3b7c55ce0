"""dialplan: a compiler and checker for voice call scripts on Routee's Voice API.

    >>> from dialplan_compiler import compile_source
    >>> payload, diagnostics = compile_source('say "Hello." in en-GB')
    >>> payload
    {'verbs': [{'type': 'SAY', 'message': {'text': 'Hello.', 'language': 'en-GB'}}]}
"""

__version__ = "0.1.0"

from .compiler import Result, check_source, compile_source  # noqa: E402
from .diagnostics import Diagnostic, Severity  # noqa: E402
from .nodes import Span  # noqa: E402

__all__ = ["Diagnostic", "Result", "Severity", "Span", "check_source", "compile_source",
           "__version__"]
