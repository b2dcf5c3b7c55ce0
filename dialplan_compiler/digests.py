"""The digest behind cache keys and the names of judged phone numbers.

blake2b is built into CPython as the `_blake2` module; `hashlib` offers the
same function but loads OpenSSL first (`_hashlib`), which costs a one-file
`check` more than hashing its bytes. Where `_blake2` is missing (another
Python), hashlib's is the same function.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

__all__ = ["blake2b"]
