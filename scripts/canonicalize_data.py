"""Rewrite the data files in their canonical form (sorted keys, two-space indent).

Usage: python scripts/canonicalize_data.py [--check]
"""

import json
import sys
from pathlib import Path

FILES = [Path("rules/dsql.json"), Path("rules/schema/rules.schema.json")]


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for path in FILES:
        text = path.read_text()
        canonical = json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
        if text != canonical:
            stale.append(path)
            if not check:
                path.write_text(canonical)
    for path in stale:
        print(f"{'not canonical' if check else 'rewrote'}: {path}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
