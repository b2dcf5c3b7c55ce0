"""The built wheel works on its own, away from the source checkout.

The grammar and the schemas live at the top of the repository and are
force-included into the wheel (pyproject.toml); an installed copy must find
them inside the package. This builds a wheel with pip (hatchling comes from
the package index), installs it into a private directory and compiles an
example from an empty working directory with only that copy importable.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from dialplan_compiler import compile_source, schemas
from dialplan_compiler.emitter import to_json

from helpers import ROOT as REPO

pytestmark = pytest.mark.slow
EXAMPLE = REPO / "examples" / "appointment-reminder.call"


def pip(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_TARGET")}
    done = subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"pip {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheelhouse")
    pip("wheel", str(REPO), "--no-deps", "-w", str(out), cwd=out)
    wheels = list(out.glob("dialplan-*.whl"))
    assert len(wheels) == 1, list(out.iterdir())
    return wheels[0]


@pytest.fixture(scope="module")
def site(wheel, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("install") / "site"
    pip("install", "--no-deps", "--target", str(target), str(wheel), cwd=target.parent)
    return target


def test_wheel_holds_grammar_and_schemas(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "dialplan_compiler/grammar/dialplan.lark" in names
    repo_schemas = sorted(p.name for p in (REPO / "schemas").glob("*.json"))
    assert repo_schemas, "no schemas in the repository"
    packaged = sorted(n.rsplit("/", 1)[1] for n in names
                      if n.startswith("dialplan_compiler/schemas/") and n.endswith(".json"))
    assert packaged == repo_schemas
    # Packaged exactly as in the repository.
    with zipfile.ZipFile(wheel) as archive:
        assert archive.read("dialplan_compiler/grammar/dialplan.lark") == \
            (REPO / "grammar" / "dialplan.lark").read_bytes()
        for name in repo_schemas:
            assert archive.read(f"dialplan_compiler/schemas/{name}") == \
                (REPO / "schemas" / name).read_bytes()
    # The console script is declared.
    entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    text = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "dialplan = dialplan_compiler.launch:main" in text


CHILD = textwrap.dedent("""
    import json, pathlib, sys

    site = pathlib.Path(sys.argv[1]).resolve()
    source, output = sys.argv[2], sys.argv[3]

    import dialplan_compiler
    from dialplan_compiler import resources, schemas
    from dialplan_compiler.cli import main

    package = pathlib.Path(dialplan_compiler.__file__).resolve()
    assert package.is_relative_to(site), (package, site)
    # The data files come from inside the installed package, not a checkout.
    for path in (resources.grammar_path(), resources.schema_path(schemas.CONVERSATION),
                 resources.schema_path(schemas.DIALPLAN)):
        assert pathlib.Path(path).resolve().is_relative_to(site / "dialplan_compiler"), path

    args = ["compile", source, "-o", output]
    for item in sys.argv[4:]:
        args += ["--var", item]
    try:
        main(args)
    except SystemExit as exit:
        assert exit.code in (0, None), exit.code

    payload = json.loads(pathlib.Path(output).read_text(encoding="utf-8"))
    assert schemas.validate(payload, schemas.schema_for(payload)) == []
    print("installed-ok", package)
""")


def test_installed_wheel_compiles_an_example(site, tmp_path):
    empty = tmp_path / "empty-cwd"
    empty.mkdir()
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    source = inputs / EXAMPLE.name
    shutil.copyfile(EXAMPLE, source)
    output = tmp_path / "out" / "reminder.json"
    output.parent.mkdir()

    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "GITHUB_ACTIONS")}
    env["PYTHONPATH"] = str(site)
    env["PYTHONSAFEPATH"] = "1"       # the (empty) working directory is not on sys.path
    env["PYTHONNOUSERSITE"] = "1"
    text = source.read_text(encoding="utf-8")
    names = sorted(set(re.findall(r"(?<!\{)\{([A-Za-z_][A-Za-z0-9_]*)\}", text)))
    variables = {name: f"value of {name}" for name in names}
    done = subprocess.run([sys.executable, "-c", CHILD, str(site), str(source), str(output),
                           *(f"{k}={v}" for k, v in variables.items())],
                          cwd=empty, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "installed-ok" in done.stdout
    assert "Traceback" not in done.stderr
    assert list(empty.iterdir()) == []  # nothing written to the working directory

    payload = json.loads(output.read_text(encoding="utf-8"))
    assert schemas.validate(payload, schemas.schema_for(payload)) == []
    assert schemas.schema_for(payload) == schemas.CONVERSATION
    assert payload["dialPlan"]["verbs"]
    # The installed copy compiles exactly as the source checkout does.
    expected = compile_source(text, str(source), variables=variables)
    assert expected.payload is not None, expected.diagnostics
    assert payload == expected.payload
    assert output.read_text(encoding="utf-8") == to_json(expected.payload)
