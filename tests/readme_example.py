"""The README's first command, shared by the command-line tests."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EX = ROOT / "examples"
ACC = "111122223333"
PARAMS = EX / "multi-region-create.json"
CHECK = [
    "check",
    "create_cluster",
    "--params",
    str(PARAMS),
    "--region",
    "us-east-1",
    "--account",
    ACC,
    "--policy",
    str(EX / "deploy-role-policy.json"),
]
