import json
import os
from pathlib import Path

import pytest

# The validation cache is off unless a test turns it on: every test (and every CLI it starts)
# then exercises botocore's validation, and nothing is written under the user's home.
os.environ["DSQL_PERMS_CACHE_DIR"] = "off"

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
