"""Line and column of every value in a JSON text, by path (for SARIF locations)."""

from __future__ import annotations

import re
from collections.abc import Callable
from json import decoder

scanstring: Callable[[str, int], tuple[str, int]] = decoder.scanstring  # type: ignore[attr-defined]

_WS = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?|true|false|null")


def positions(text: str) -> dict[str, tuple[int, int]]:
    """Map `a.b[0].c` paths to (line, column), both 1-based; {} if the text is not JSON."""
    found: dict[str, tuple[int, int]] = {}
    line_starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def where(index: int) -> tuple[int, int]:
        lo, hi = 0, len(line_starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if line_starts[mid] <= index:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1, index - line_starts[lo] + 1

    def skip(i: int) -> int:
        return _WS.match(text, i).end()  # type: ignore[union-attr]

    def value(i: int, path: str, key_at: int | None, depth: int) -> int:
        if depth > 200:
            raise ValueError("too deep")
        i = skip(i)
        found[path] = where(key_at if key_at is not None else i)
        ch = text[i]
        if ch == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                key_start = i
                key, i = scanstring(text, i + 1)
                i = skip(i)
                i = value(i + 1, f"{path}.{key}" if path else key, key_start, depth + 1)
                i = skip(i)
                if text[i] == "}":
                    return i + 1
                i = skip(i + 1)
        if ch == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            n = 0
            while True:
                i = value(i, f"{path}[{n}]", None, depth + 1)
                i = skip(i)
                n += 1
                if text[i] == "]":
                    return i + 1
                i += 1
        if ch == '"':
            return scanstring(text, i + 1)[1]
        m = _SCALAR.match(text, i)
        if not m:
            raise ValueError("bad scalar")
        end: int = m.end()
        return end

    try:
        value(0, "", None, 0)
    except (ValueError, IndexError):
        return {}
    return found


def locate(text: str | None, path: str) -> tuple[int, int]:
    """Best position for a parameter path: the path itself, else its nearest parent."""
    if not text:
        return 1, 1
    table = positions(text)
    while path:
        if path in table:
            return table[path]
        cut = max(path.rfind("."), path.rfind("["))
        path = path[:cut] if cut > 0 else ""
    return 1, 1
