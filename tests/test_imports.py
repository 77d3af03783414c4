"""`import dsql_perms` stays light, and the public API is what __all__ says."""

import subprocess
import sys

import dsql_perms


def loaded_after(statement):
    code = f"import sys; {statement}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def test_import_dsql_perms_loads_neither_boto3_nor_botocore_nor_click():
    modules = loaded_after("import dsql_perms")
    assert not {"boto3", "botocore", "click", "jsonschema", "yaml", "logging"} & modules


def test_the_lazy_exports_load_their_modules_on_first_use():
    modules = loaded_after("import dsql_perms; dsql_perms.preflight; dsql_perms.generate_policy")
    assert {"dsql_perms.preflight", "dsql_perms.least_privilege"} <= modules
    assert not {"boto3", "click"} & modules


def test_the_evaluator_alone_loads_nothing_heavy():
    modules = loaded_after("import dsql_perms.evaluator")
    assert not {"boto3", "botocore", "click"} & modules


def test_evaluating_and_checking_policies_does_not_load_boto3_or_click():
    modules = loaded_after(
        "import dsql_perms as d; d.check('list_clusters', {}, region='us-east-1', account='111122223333', policies=d.PolicySet())"
    )
    assert not {"boto3", "click"} & modules


def test_public_api_is_sorted_and_complete():
    assert dsql_perms.__all__ == sorted(dsql_perms.__all__)
    public = {name for name in dir(dsql_perms) if not name.startswith("_")}
    for name in dsql_perms.__all__:  # lazy exports resolve
        assert getattr(dsql_perms, name) is not None
    modules = {name for name in public if type(getattr(dsql_perms, name)).__name__ == "module"}
    assert public - modules == set(dsql_perms.__all__) - {"__version__"}
    for name in (
        "plan",
        "evaluate",
        "check",
        "AuthzRequest",
        "PolicySet",
        "EvalResult",
        "Decision",
        "Report",
        "DsqlPermsError",
    ):
        assert name in dsql_perms.__all__


def test_public_functions_have_docstrings():
    for name in dsql_perms.__all__:
        obj = getattr(dsql_perms, name)
        if callable(obj):
            assert obj.__doc__, name
