"""IAM wildcard matching: `*` (any run, crossing `:` and `/`) and `?` (one character).

Worked examples (ARNs are case-sensitive, actions are not)::

    match("arn:aws:dsql:*:1:cluster/*", "arn:aws:dsql:us-east-1:1:cluster/abc") -> True
    match("dsql:Get*", "DSQL:getcluster", ignore_case=True) -> True

The matcher splits the pattern at `*` and places each piece at its leftmost possible
position, which is correct for globs and takes linear time for star-separated literals
(`str.find`), so hostile patterns such as `*a*a*a*...*b` cannot blow up.

A pattern may carry *literal* `*` and `?` (from the policy variables `${*}` and `${?}`):
those are written as :data:`LIT_STAR` and :data:`LIT_QMARK`, and :func:`match` compares
them with real `*` and `?` in the text.
"""

from __future__ import annotations

from functools import lru_cache

LIT_STAR = "\ue000"
LIT_QMARK = "\ue001"
_TEXT_ESCAPE = str.maketrans({"*": LIT_STAR, "?": LIT_QMARK})


def escape_literal(text: str) -> str:
    """Make `text` match only itself when embedded in a pattern."""
    return text.translate(_TEXT_ESCAPE)


def has_wildcard(pattern: str) -> bool:
    return "*" in pattern or "?" in pattern


@lru_cache(maxsize=4096)
def _pieces(pattern: str) -> tuple[str, ...]:
    return tuple(pattern.split("*"))


def _piece_at(piece: str, text: str, pos: int) -> bool:
    """Does `piece` (literals and `?`) match `text` at `pos`?"""
    if pos + len(piece) > len(text):
        return False
    if "?" not in piece:
        return text.startswith(piece, pos)
    return all(ch in ("?", text[pos + offset]) for offset, ch in enumerate(piece))


def _find(piece: str, text: str, start: int, end: int) -> int:
    """Leftmost position >= start where `piece` matches and ends by `end`, or -1."""
    if "?" not in piece:
        return text.find(piece, start, end)
    for pos in range(start, end - len(piece) + 1):
        if _piece_at(piece, text, pos):
            return pos
    return -1


def match(pattern: str, text: str, *, ignore_case: bool = False) -> bool:
    """Full-string IAM wildcard match of `text` against `pattern`."""
    if ignore_case:
        pattern, text = pattern.lower(), text.lower()
    if "*" in text or "?" in text:
        text = escape_literal(text)
    if pattern == "*":
        return True
    pieces = _pieces(pattern)
    if len(pieces) == 1:
        return len(pattern) == len(text) and _piece_at(pattern, text, 0)
    first, *middle, last = pieces
    if len(first) + len(last) > len(text):
        return False
    if not _piece_at(first, text, 0) or not _piece_at(last, text, len(text) - len(last)):
        return False
    pos, end = len(first), len(text) - len(last)
    for piece in middle:
        if not piece:
            continue
        found = _find(piece, text, pos, end)
        if found < 0:
            return False
        pos = found + len(piece)
    return True


# --- pattern against pattern (request resources may themselves be patterns) -------------


@lru_cache(maxsize=65536)
def covers(pattern: str, request_pattern: str) -> bool:
    """True if every string `request_pattern` denotes matches `pattern` (conservative).

    Each `*` of the request becomes a fresh symbol that only a `*` of `pattern` can absorb,
    and each `?` a symbol that only `?` or `*` can take. A True answer is always right; a
    False answer can be wrong only for exotic `?` placements, where we then say "not
    covered" (the safe side for an Allow).
    """
    if not has_wildcard(request_pattern):
        return match(pattern, request_pattern)
    text = request_pattern.replace("*", "\ue002").replace("?", "\ue003")
    if "?" not in pattern:  # literals never equal a symbol, so plain matching is exact
        return match(pattern, text)
    # `?` in `pattern` may take the request's `?` symbol but not its `*` symbol.
    return _match_symbols(pattern, text)


def _match_symbols(pattern: str, text: str) -> bool:
    star_sym = "\ue002"
    m = len(text)
    # Classic DP; only used for short request patterns (ARNs), so O(n*m) is fine.
    reach = [False] * (m + 1)
    reach[0] = True
    for ch in pattern:
        nxt = [False] * (m + 1)
        if ch == "*":
            seen = False
            for j in range(m + 1):
                seen = seen or reach[j]
                nxt[j] = seen
        else:
            for j in range(m):
                if not reach[j]:
                    continue
                t = text[j]
                if t == star_sym:
                    continue
                if ch == "?" or ch == t:
                    nxt[j + 1] = True
        reach = nxt
    return reach[m]


@lru_cache(maxsize=65536)
def overlaps(a: str, b: str) -> bool:
    """True if some string matches both wildcard patterns `a` and `b`."""
    if not has_wildcard(b):
        return match(a, b)
    if not has_wildcard(a):
        return match(b, a)
    n, m = len(a), len(b)
    seen: set[tuple[int, int]] = set()
    stack = [(0, 0)]
    while stack:
        i, j = stack.pop()
        if (i, j) in seen:
            continue
        seen.add((i, j))
        if i == n and j == m:
            return True
        ca = a[i] if i < n else None
        cb = b[j] if j < m else None
        if ca == "*":
            stack.append((i + 1, j))
            if cb is not None and cb != "*":
                stack.append((i, j + 1))
        if cb == "*":
            stack.append((i, j + 1))
            if ca is not None and ca != "*":
                stack.append((i + 1, j))
        both_single = ca is not None and cb is not None and "*" not in (ca, cb)
        if both_single and (ca == "?" or cb == "?" or ca == cb):
            stack.append((i + 1, j + 1))
    return False
