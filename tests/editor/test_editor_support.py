"""Highlighting and the VS Code extension: the Pygments lexer, the TextMate
grammar (with the real `vscode-tmgrammar-test` from the npm registry), and
the extension, packaged into a .vsix as its README says.

The npm packages are installed into pytest's cache directory (so a second
run does not fetch them again), each install bounded by a timeout. Node.js
is needed for the grammar and extension tests; without it they are skipped,
saying so, and for no other reason.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Error, Whitespace

from dialplan_compiler import routee
from dialplan_compiler.editor.pygments_lexer import DialplanLexer
from dialplan_compiler.reference import STATEMENTS

from helpers import ROOT as REPO

pytestmark = pytest.mark.slow
VSCODE = REPO / "editors" / "vscode"
EXAMPLES = sorted(REPO.glob("examples/**/*.call"))
GRAMMAR = VSCODE / "syntaxes" / "call.tmLanguage.json"
#: Pinned: the versions the grammar and the packaging were checked with.
TMGRAMMAR_TEST = "vscode-tmgrammar-test@0.1.3"
VSCE = "@vscode/vsce@3"  # 4.x needs Node.js 22
NPM_TIMEOUT = 300


# --- Pygments ----------------------------------------------------------------------------

def errors(text: str) -> list[tuple[int, str]]:
    return [(index, value) for index, token, value in
            DialplanLexer().get_tokens_unprocessed(text) if token in Error]


def test_the_lexer_is_registered_for_pygments():
    assert type(get_lexer_by_name("dialplan")) is DialplanLexer
    assert type(get_lexer_by_name("call")) is DialplanLexer
    assert type(get_lexer_for_filename("reminder.call")) is DialplanLexer
    done = subprocess.run([sys.executable, "-m", "pygments", "-l", "dialplan", "-f", "html",
                           str(EXAMPLES[0])], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert '<span class="kd">from</span>' in done.stdout


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_lex_without_error_tokens(path):
    text = path.read_text(encoding="utf-8")
    assert errors(text) == []
    tokens = list(DialplanLexer().get_tokens(text))
    assert "".join(value for _, value in tokens) == text  # nothing lost


def test_documentation_code_lexes_without_error_tokens():
    blocks = []
    for doc in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        blocks += re.findall(r"```dialplan\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4, "the docs show .call code as ```dialplan blocks"
    for block in blocks:
        assert errors(block) == [], block


@pytest.mark.parametrize("text, bad", [
    ('say "never closed\n', '"never closed'),
    ('say "a \\q b"\n', "\\q"),
    ('say "a { b"\n', "{"),
    ("pause 1s \\ # a comment after the backslash\n", "\\"),
    ("say\x01\n", "\x01"),
])
def test_what_the_grammar_cannot_read_is_an_error_token(text, bad):
    assert [value for _, value in errors(text)] == [bad]


def test_back_end_and_a_list_of_keys_are_lexed_as_the_parser_reads_them():
    tokens = [(str(token), value) for token, value in
              DialplanLexer().get_tokens('  on 1, star,2 { say "x"  back }\nsay "y" end\n')
              if token not in Whitespace]
    assert tokens == [
        ("Token.Keyword.Reserved", "on"), ("Token.Literal.Number.Integer", "1"),
        ("Token.Punctuation", ","), ("Token.Name.Builtin", "star"), ("Token.Punctuation", ","),
        ("Token.Literal.Number.Integer", "2"), ("Token.Punctuation", "{"),
        ("Token.Keyword", "say"), ("Token.Literal.String.Double", '"'),
        ("Token.Literal.String.Double", "x"), ("Token.Literal.String.Double", '"'),
        ("Token.Keyword.Reserved", "back"), ("Token.Punctuation", "}"),
        ("Token.Keyword", "say"), ("Token.Literal.String.Double", '"'),
        ("Token.Literal.String.Double", "y"), ("Token.Literal.String.Double", '"'),
        ("Token.Keyword.Reserved", "end")]


# --- the TextMate grammar ------------------------------------------------------------------

def test_the_grammar_is_generated_from_reference_py():
    """The grammar's words are reference.py's: editors/vscode/syntaxes/generate.py
    writes it, and the committed file is what it writes."""
    spec = importlib.util.spec_from_file_location("generate", GRAMMAR.with_name("generate.py"))
    generate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generate)
    assert GRAMMAR.read_text(encoding="utf-8") == generate.text(), \
        "run: python editors/vscode/syntaxes/generate.py"
    begin = json.loads(generate.text())["repository"]["statement"]["begin"]
    for name in STATEMENTS:
        assert re.search(rf"[:|]{name}[|)]", begin), name
    for language in routee.LANGUAGES:
        assert language in generate.text()


def test_the_extension_manifest_holds_together():
    manifest = json.loads((VSCODE / "package.json").read_text(encoding="utf-8"))
    grammar = json.loads(GRAMMAR.read_text(encoding="utf-8"))
    [language] = manifest["contributes"]["languages"]
    [contributed] = manifest["contributes"]["grammars"]
    assert language["id"] == contributed["language"] == "dialplan"
    assert language["extensions"] == [".call"]
    assert contributed["scopeName"] == grammar["scopeName"] == "source.call"
    assert (VSCODE / contributed["path"]).resolve() == GRAMMAR
    assert (VSCODE / language["configuration"]).is_file()
    assert (VSCODE / manifest["main"]).is_file()
    settings = manifest["contributes"]["configuration"]["properties"]
    assert settings["dialplan.path"]["default"] == "dialplan"
    configuration = json.loads((VSCODE / "language-configuration.json").read_text("utf-8"))
    assert configuration["comments"] == {"lineComment": "#"}


# --- with Node.js --------------------------------------------------------------------------

def _node() -> tuple[str, str]:
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        pytest.skip("Node.js (node and npm) is not installed: the TextMate grammar and the "
                    "VS Code extension cannot be tested without it")
    return node, npm


def _npm_install(cache: Path, package: str, npm: str) -> Path:
    """`npm install PACKAGE` into a cached folder; the folder."""
    folder = cache / re.sub(r"[^A-Za-z0-9.]+", "-", package)
    if not (folder / ".installed").exists():
        folder.mkdir(parents=True, exist_ok=True)
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--loglevel=error",
                               "--prefix", str(folder), package],
                              capture_output=True, text=True, timeout=NPM_TIMEOUT)
        assert done.returncode == 0, f"npm install {package} failed:\n{done.stderr}"
        (folder / ".installed").touch()
    return folder


@pytest.fixture(scope="module")
def npm_cache(request, tmp_path_factory) -> Path:
    cache = getattr(request.config, "cache", None)  # None with -p no:cacheprovider
    return Path(cache.mkdir("dialplan-npm")) if cache else tmp_path_factory.mktemp("npm")


def test_the_textmate_grammar_with_vscode_tmgrammar_test(npm_cache):
    node, npm = _node()
    folder = _npm_install(npm_cache, TMGRAMMAR_TEST, npm)
    runner = folder / "node_modules" / "vscode-tmgrammar-test" / "dist" / "unit.js"
    if not runner.exists():  # its layout may move between versions: use the bin link
        runner = folder / "node_modules" / ".bin" / "vscode-tmgrammar-test"
    fixture = VSCODE / "test" / "syntax.call"
    command = [str(runner), "-g", str(GRAMMAR), "--config", str(VSCODE / "package.json"),
               str(fixture)]
    if runner.suffix == ".js":
        command.insert(0, node)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "run successfuly" in done.stdout or "successfully" in done.stdout

    # The test can fail: a wrong expectation is caught.
    broken = npm_cache / "broken-syntax.call"
    broken.write_text(fixture.read_text(encoding="utf-8").replace(
        "keyword.other.setting.call", "keyword.control.verb.call", 1), encoding="utf-8")
    command[-1] = str(broken)
    assert subprocess.run(command, capture_output=True, text=True, timeout=120).returncode != 0


def test_the_client_starts_dialplan_lsp():
    node, _ = _node()
    done = subprocess.run([node, str(VSCODE / "test" / "extension.test.js")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_extension_packages_into_a_vsix(npm_cache, tmp_path):
    """`npx @vscode/vsce package`, as editors/vscode/README.md says."""
    node, npm = _node()
    vsce = _npm_install(npm_cache, VSCE, npm) / "node_modules" / ".bin" / "vsce"
    source = tmp_path / "vscode"
    shutil.copytree(VSCODE, source)
    env = {**os.environ, "npm_config_cache": str(npm_cache / "npm-cache")}
    done = subprocess.run([npm, "install", "--omit=dev", "--no-audit", "--no-fund",
                           "--loglevel=error"], cwd=source, capture_output=True, text=True,
                          timeout=NPM_TIMEOUT, env=env)
    assert done.returncode == 0, done.stderr
    done = subprocess.run([str(vsce), "package", "--allow-missing-repository", "--skip-license",
                           "-o", str(tmp_path / "dialplan.vsix")], cwd=source,
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    names = set(zipfile.ZipFile(tmp_path / "dialplan.vsix").namelist())
    for name in ("extension/package.json", "extension/extension.js",
                 "extension/syntaxes/call.tmLanguage.json",
                 "extension/language-configuration.json", "extension/readme.md",
                 "extension/node_modules/vscode-languageclient/node.js"):
        assert name in names
    assert not any(n.startswith("extension/test/") for n in names)
