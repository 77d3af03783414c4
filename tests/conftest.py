import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
MANAGED = SHARED / "reference" / "managed-policies"
if not MANAGED.is_dir():  # the repository keeps its own copy for machines without shared/
    MANAGED = ROOT / "tests" / "data" / "managed-policies"


@pytest.fixture
def managed():
    def load(name):
        return json.loads((MANAGED / f"{name}.json").read_text())

    return load
