"""Regenerate policies/*.policy.json from policies/*.plan.json (or --check for differences).

Usage: python scripts/regenerate_gallery.py [--check]
"""

import json
import sys
from pathlib import Path

from dsql_perms import generate_policy

GALLERY = Path(__file__).resolve().parent.parent / "policies"


def expected(plan_path: Path) -> str:
    plan = json.loads(plan_path.read_text())
    policy = generate_policy(plan["calls"], account=plan["account"], source=str(plan_path))
    return json.dumps(policy, indent=2) + "\n"


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for plan_path in sorted(GALLERY.glob("*.plan.json")):
        policy_path = plan_path.with_name(plan_path.name.replace(".plan.json", ".policy.json"))
        text = expected(plan_path)
        if not policy_path.exists() or policy_path.read_text() != text:
            stale.append(policy_path.name)
            if not check:
                policy_path.write_text(text)
    for name in stale:
        print(f"{'out of date' if check else 'rewrote'}: policies/{name}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
