"""Bytes and text: the one place that knows about UTF-8 and its byte order
mark. Every reader of a `.call` file or a JSON payload decodes through here;
what to say about bytes that do not decode is each caller's own business."""

from __future__ import annotations

#: Bytes a UTF-8 byte order mark takes at the start of a file.
UTF8_BOM = b"\xef\xbb\xbf"
#: The byte order mark, decoded.
BOM = "\ufeff"


def decode_utf8(data: bytes) -> tuple[str | None, int, int]:
    """`data` as UTF-8 without its byte order mark: (text, the bytes the
    mark took, -1), or (None, the bytes the mark took, the offset after the
    mark of the first byte that does not decode)."""
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    try:
        return data[bom:].decode("utf-8"), bom, -1
    except UnicodeDecodeError as error:
        return None, bom, error.start


def decode_lenient(data: bytes) -> str:
    """`data` as UTF-8 without its byte order mark, an undecodable byte
    shown as U+FFFD."""
    bom = len(UTF8_BOM) if data.startswith(UTF8_BOM) else 0
    return data[bom:].decode("utf-8", "replace")


def bom_length(text: str) -> int:
    """How many characters a byte order mark takes at the start of `text`."""
    return 1 if text.startswith(BOM) else 0


def strip_bom(text: str) -> str:
    """`text` without a leading byte order mark."""
    return text[bom_length(text):]
