"""The console script's short path for `check`: it parses exactly what click parses, yields to
click for everything else, prints what the click path prints, and loads neither click nor
botocore when the parameters were validated before."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from readme_example import ACC, CHECK, EX

from dsql_perms import cli as click_cli
from dsql_perms import entry
from dsql_perms.cli_check import check_command


def test_the_option_table_is_clicks_definition_of_check():
    declared = {}
    for param in check_command.params:
        if isinstance(param, click.Argument):
            assert param.name == "operation" and not param.required
            continue
        kind = "flag" if param.is_flag else "multiple" if param.multiple else "value"
        assert not param.secondary_opts and not param.envvar and param.callback is None
        for opt in param.opts:
            assert opt.startswith("--"), opt  # short options would need their own rules
            declared[opt] = (param.name, kind)
        if isinstance(param.type, click.Choice):
            assert tuple(param.type.choices) == entry.CHECK_FORMATS
            assert param.type.case_sensitive
    assert declared == entry.CHECK_OPTIONS
    assert entry.parse_check_arguments(["check"]) == click_parse(["check"])  # the defaults


def click_parse(argv):
    """What click's command receives, or None when click refuses the command line."""
    try:
        with check_command.make_context("check", list(argv[1:])) as ctx:
            return dict(ctx.params)
    except (click.ClickException, click.exceptions.Exit):
        return None


VALUES = st.sampled_from(
    ["p.json", "-", "", "us-east-1", "a=b", "--help", "-h", "--", "x y", "--policy", "é"]
)
OPTIONS = st.sampled_from(sorted(entry.CHECK_OPTIONS))
TOKENS = st.one_of(
    st.tuples(OPTIONS, VALUES).map(lambda p: [p[0], p[1]]),
    st.tuples(OPTIONS, VALUES).map(lambda p: [f"{p[0]}={p[1]}"]),
    OPTIONS.map(lambda o: [o]),
    st.sampled_from(
        [["create_cluster"], ["update_cluster"], ["-h"], ["--help"], ["--"], ["--polcy"], [""]]
    ),
    st.sampled_from([["--format", f] for f in ("json", "sarif", "xml", "JSON")]),
)


@settings(max_examples=600, deadline=None)
@given(st.lists(TOKENS, max_size=8))
def test_every_command_line_the_short_path_accepts_click_parses_the_same_way(parts):
    argv = ["check", *(token for part in parts for token in part)]
    fast = entry.parse_check_arguments(argv)
    if fast is not None:
        assert click_parse(argv) == fast, argv


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--help"],
        ["check", "-h"],
        ["--version"],
        ["plan", "create_cluster"],
        ["check", "create_cluster", "--", "x"],
        ["check", "a", "b"],
        ["check", "--polcy", "x"],
        ["check", "--region", "us-east-1", "--region", "us-west-2"],
        ["check", "--live=yes"],
        ["check", "--format", "xml"],
        ["check", "--params"],
    ],
)
def test_the_short_path_yields_to_click_for_anything_else(argv):
    assert entry.parse_check_arguments(argv) is None


def run_both(capsys, monkeypatch, argv, stdin=None):
    results = []
    for main in (entry.main, click_cli.main):
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin.encode())))
        code = main(list(argv))
        out, err = capsys.readouterr()
        results.append((code, out, err))
    return results


PARAMS_TEXT = (EX / "multi-region-create.json").read_text()
SAME_OUTPUT = {
    "readme text": CHECK,
    "json": [*CHECK, "--format", "json"],
    "sarif": [*CHECK, "--format=sarif"],
    "junit": [*CHECK, "--format", "junit"],
    "markdown": [*CHECK, "--format", "markdown"],
    "options first": ["check", *CHECK[2:], CHECK[1]],
    "context settles nothing here": [*CHECK, "--context", "aws:SourceIp=10.0.0.1"],
    "bad JSON in a policy": [*CHECK[:-1], str(EX / "iac" / "cfn-single-region.yaml")],
    "missing policy file": [*CHECK[:-1], "/nonexistent.json"],
    "unknown operation": ["check", "create_clstr", *CHECK[2:]],
    "two policy sources": [*CHECK, "--collected", "x.json"],
    "no account": [a for a in CHECK if a not in ("--account", ACC)],
    "bad context pair": [*CHECK, "--context", "nokey"],
}


@pytest.mark.parametrize("argv", SAME_OUTPUT.values(), ids=SAME_OUTPUT)
def test_the_short_path_prints_what_click_prints(capsys, monkeypatch, argv):
    assert entry.parse_check_arguments(argv) is not None
    fast, slow = run_both(capsys, monkeypatch, argv)
    assert fast == slow
    assert "Traceback" not in fast[2]


def test_params_from_stdin_and_a_report_file_are_the_same_on_both_paths(
    capsys, monkeypatch, tmp_path
):
    outputs = []
    for name in ("fast", "slow"):
        target = tmp_path / f"{name}.json"
        argv = [*CHECK[:3], "-", *CHECK[4:], "--format", "json", "--output", str(target)]
        main = entry.main if name == "fast" else click_cli.main
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(PARAMS_TEXT.encode())))
        assert main(argv) == 1
        assert capsys.readouterr() == ("", "")
        outputs.append(json.loads(target.read_text()))
    assert outputs[0] == outputs[1]


def test_a_repeated_check_loads_neither_click_nor_botocore(tmp_path):
    program = (
        "import sys\n"
        "from dsql_perms.entry import main\n"
        f"code = main({CHECK!r})\n"
        "heavy = sorted(m for m in ('click', 'botocore', 'boto3', 'typing', 'dataclasses', 'pathlib', 'hashlib')"
        " if m in sys.modules)\n"
        "print('LOADED', code, heavy, file=sys.stderr)\n"
    )
    env = {**os.environ, "DSQL_PERMS_CACHE_DIR": str(tmp_path / "cache")}
    lines = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", program],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            check=True,
        )
        lines.append(next(x for x in done.stderr.splitlines() if x.startswith("LOADED")))
    assert "'botocore'" in lines[0] and "'click'" not in lines[0]
    assert lines[1] == "LOADED 1 []"


@pytest.mark.parametrize(
    "argv", [CHECK, [*CHECK, "--format", "json"], ["rules"]], ids=["check", "json", "click-rules"]
)
def test_a_reader_that_goes_away_ends_the_command_quietly(tmp_path, argv):
    """`dsql-perms check ... | head -1`: no traceback, no error line, click's exit code 1."""
    script = Path(sys.executable).parent / "dsql-perms"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "dsql_perms"]
    with subprocess.Popen(
        [*command, *argv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path
    ) as process:
        process.stdout.close()  # before the command writes anything
        stderr = process.stderr.read().decode()
        assert process.wait(timeout=60) == 1
    assert stderr == ""
