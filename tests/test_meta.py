"""Meta-tests that keep the docs honest.

* Every hookspec is documented in docs/plugins/hooks.md (its signature and its docstring, word for
  word), the page documents no hook that does not exist, and every hook is exercised by some test.
* Every code example in README.md and docs/**/*.md runs. The blocks of one page run in order, in a
  fresh interpreter whose working directory holds the files the examples name (clip.mp4: 95 s of
  text cards; scan.png and other images; talk.mp4 with speech and talk.en.vtt beside it; examples/;
  my.mp4 with my.truth.srt):
  ```python blocks run in one namespace; ```sh blocks run each `framescribe ...` line through the CLI
  (exit code 0 required); ```toml configs must validate with the installed backends; ```json results
  must read back. A block whose info string names a file (```python file=src/x.py, ```toml
  file=pyproject.toml) is written to a project directory named after the distribution; the project
  is built into a wheel and pip-installed (offline, --no-deps) where the page's code finds it, and
  a shell line `pytest <project>` runs its tests.
* A block that cannot run is marked by the line just before its fence,
  ``<!-- docs-test: skip: installs software -->``, with a reason from SKIP_REASONS, and the test
  checks the reason holds for that block (an install command is there, an output sample has no
  command in it, ...). Anything else is run, so an example nobody marked cannot rot unnoticed.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from framescribe import hookspecs
from framescribe.plugins import PluginHost

from .wheels import build_and_install

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SKIP = re.compile(r"<!--\s*docs-test:\s*skip:\s*(\S[^>]*?)\s*-->\s*$")


def _hook_names() -> list[str]:
    return sorted(name for name, obj in vars(hookspecs).items()
                  if inspect.isfunction(obj) and hasattr(obj, "framescribe_spec"))


def _norm(text: str) -> str:
    return " ".join(text.split())


# -- hooks ----------------------------------------------------------------------------


def test_hookspecs_are_found() -> None:
    assert _hook_names() == ["image_ocr", "register_backends", "register_commands", "transcribe", "video_text"]


@pytest.mark.parametrize("hook", _hook_names())
def test_every_hookspec_is_documented(hook: str) -> None:
    reference = (DOCS / "plugins" / "hooks.md").read_text()
    spec = getattr(hookspecs, hook)
    args = ", ".join(inspect.signature(spec).parameters)
    assert f"## `{hook}({args})`" in reference, f"docs/plugins/hooks.md needs a heading ## `{hook}({args})`"
    flat = _norm(reference)
    for paragraph in inspect.cleandoc(spec.__doc__ or "").split("\n\n"):
        assert _norm(paragraph) in flat, f"docs/plugins/hooks.md does not say what the {hook} docstring says: {paragraph!r}"


def test_hook_reference_documents_only_real_hooks() -> None:
    reference = (DOCS / "plugins" / "hooks.md").read_text()
    documented = sorted(re.findall(r"^## `(\w+)\(", reference, re.M))
    assert documented == _hook_names()


@pytest.mark.parametrize("hook", _hook_names())
def test_every_hookspec_has_a_test(hook: str) -> None:
    files = [*ROOT.glob("tests/**/test_*.py"), *ROOT.glob("plugins/*/tests/**/test_*.py")]
    pattern = re.compile(rf"(def {hook}\(|\.{hook}\(|hook\.{hook}\b)")
    using = [f.relative_to(ROOT) for f in files if f.name != "test_meta.py" and pattern.search(f.read_text(errors="replace"))]
    assert using, f"no test implements or calls the {hook} hook"


# -- docs examples --------------------------------------------------------------------

SHELL_LANGS = {"sh", "bash", "shell", "console"}
# A skip reason starts with one of these; each says what must be true of the block for the reason to hold.
SKIP_REASONS: dict[str, str] = {
    "installs software": "the block runs pip install, creates a virtualenv or clones a repository",
    "sample output": "the block has no language and none of its lines is a command",
    "synopsis": "every line of the block holds a placeholder (COMMAND, [ARGS]...) rather than real arguments",
    "config of an example backend": "a TOML config naming backends no installed plugin registers",
    "shell setup": "the block sets up a user's interactive shell (completion); a test in tests/ runs it in that shell",
    "served by a live server": "the block starts `framescribe serve` or talks to it (curl, or a client given base_url); "
                               "plugins/server/tests/test_server_docs.py runs it against a live server",
}


@dataclass
class Block:
    doc: Path
    line: int
    lang: str
    file: str | None
    code: str
    skip: str | None

    @property
    def where(self) -> str:
        return f"{self.doc.relative_to(ROOT) if self.doc.is_absolute() else self.doc}:{self.line}"


def _blocks(doc: Path, text: str | None = None) -> list[Block]:
    """The fenced blocks of a markdown page, with the info string and the skip marker just above each."""
    lines = (doc.read_text() if text is None else text).split("\n")
    out: list[Block] = []
    i = 0
    while i < len(lines):
        opening = re.match(r"^```(\S*)\s*(.*)$", lines[i])
        if not opening:
            i += 1
            continue
        end = next((j for j in range(i + 1, len(lines)) if re.match(r"^```\s*$", lines[j])), None)
        assert end is not None, f"{doc}:{i + 1}: unclosed code fence"
        file = re.search(r"\bfile=(\S+)", opening.group(2))
        skip = SKIP.search(lines[i - 1]) if i else None
        code = "\n".join(lines[i + 1:end]) + "\n"
        out.append(Block(doc, i + 1, opening.group(1), file.group(1) if file else None, code,
                         skip.group(1) if skip else None))
        i = end + 1
    return out


def _pages() -> list[Path]:
    return [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]


def _page_id(page: Path) -> str:
    return page.relative_to(ROOT).as_posix()


def _installed_backends() -> set[str]:
    host = PluginHost()
    host.load_entry_points()
    return set(host.backends)


def skip_is_justified(block: Block) -> str | None:
    """None when the block's skip reason holds for it, else why not."""
    reason = block.skip or ""
    kind = next((k for k in SKIP_REASONS if reason.startswith(k)), None)
    if kind is None:
        return f"the reason must start with one of {sorted(SKIP_REASONS)}, not {reason!r}"
    code = block.code
    if kind == "installs software":
        ok = re.search(r"\bpip install\b|-m venv\b|\bgit clone\b|\bapt(-get)? install\b", code) is not None
    elif kind == "sample output":
        ok = block.lang in ("", "text") and not any(_looks_like_command(ln) for ln in code.splitlines())
    elif kind == "shell setup":
        ok = block.lang == "sh" and re.search(r"_FRAMESCRIBE_COMPLETE=\w+_source framescribe", code) is not None
    elif kind == "served by a live server":
        ok = (ROOT / "plugins/server/tests/test_server_docs.py").is_file() and _talks_to_a_server(block)
    elif kind == "synopsis":
        ok = all(re.search(r"\b[A-Z]{3,}\b|\[[^\]]*\]\.\.\.|\.\.\.", ln) for ln in code.splitlines() if ln.strip())
    else:
        try:
            named = set(tomllib.loads(code).get("backends", {}))
        except tomllib.TOMLDecodeError:
            return "the block is not valid TOML"
        ok = block.lang == "toml" and bool(named) and not named & _installed_backends()
    return None if ok else f"{reason!r} does not hold: it is for blocks where {SKIP_REASONS[kind]}"


def _talks_to_a_server(block: Block) -> bool:
    if block.lang == "python":
        return "base_url=" in block.code
    lines = [ln for ln in block.code.replace("\\\n", " ").splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    server = re.compile(r"^\s*(\w+=\S*\s+)?framescribe serve\b|^\s*(\w+=\$\(|until )?curl\b")
    return block.lang in SHELL_LANGS and bool(lines) and all(server.match(ln) for ln in lines)


def _looks_like_command(line: str) -> bool:
    return re.match(r"^\s*(\$ )?(framescribe|python3?|pip|pytest|git|\.|cd)\b", line) is not None


def _shell_steps(block: Block, project: Path | None) -> list[dict[str, Any]]:
    """A shell block as runner steps: framescribe commands through the CLI; pip install / pytest of the page's project."""
    steps: list[dict[str, Any]] = []
    for raw in block.code.replace("\\\n", " ").splitlines():
        argv = shlex.split(raw, comments=True)
        if not argv:
            continue
        where = f"{block.where}: {raw.strip()}"
        if argv[0] == "framescribe":
            steps.append({"kind": "cli", "argv": argv[1:], "where": where})
            continue
        target = None if len(argv) < 2 else re.sub(r"\[.*\]$", "", argv[-1]).removeprefix("./").rstrip("/")
        if project is not None and target == project.name and argv[:3] == ["pip", "install", "-e"]:
            continue  # done before the page runs, by build_and_install
        if project is not None and target == project.name and argv[0] == "pytest":
            steps.append({"kind": "pytest", "argv": argv[1:], "where": where})
            continue
        raise AssertionError(f"{where}: not something the docs test can run; run only framescribe commands here, "
                             "or mark the block <!-- docs-test: skip: REASON --> (see SKIP_REASONS)")
    return steps


def _steps(page: Path, project: Path | None) -> list[dict[str, Any]]:
    steps: list[dict[str, Any]] = []
    for b in _blocks(page):
        if b.skip is not None or b.file is not None:
            continue
        if b.lang == "python":
            steps.append({"kind": "python", "code": b.code, "where": b.where})
        elif b.lang in SHELL_LANGS:
            steps.extend(_shell_steps(b, project))
        elif b.lang in ("toml", "json"):
            steps.append({"kind": b.lang, "code": b.code, "where": b.where})
        else:
            raise AssertionError(f"{b.where}: a ```{b.lang} block the docs test cannot run; "
                                 "mark it <!-- docs-test: skip: REASON --> (see SKIP_REASONS)")
    return steps


def test_docs_have_runnable_examples() -> None:
    pages = {_page_id(p) for p in _pages() if any(b.lang == "python" for b in _blocks(p))}
    assert {"docs/plugins/tutorial.md", "docs/plugins/errors.md", "docs/plugins/settings.md",
            "docs/plugins/progress.md", "README.md"} <= pages


@pytest.mark.parametrize("page", _pages(), ids=_page_id)
def test_every_skipped_block_says_why_and_the_reason_holds(page: Path) -> None:
    skipped = [b for b in _blocks(page) if b.skip is not None]
    for b in skipped:
        problem = skip_is_justified(b)
        assert problem is None, f"{b.where}: {problem}"
    markers = re.findall(r"<!--\s*docs-test:", page.read_text())
    assert len(markers) == len(skipped), f"{_page_id(page)}: a docs-test marker must sit on the line just above a fence"


def _sample_media(workdir: Path) -> None:
    """The files the examples name, as a user would have them in the working directory."""
    from framescribe.testing import make_text_image, make_text_video

    cards = [(0.0, 4.0, "HELLO WORLD"), (4.0, 8.0, "SECOND CARD"), (10.0, 14.0, "THIRD CARD"), (14.0, 16.0, "END"),
             (62.0, 70.0, "LATER CARD"), (92.0, 95.0, "CREDITS")]
    make_text_video(workdir / "clip.mp4", cards, size=(480, 270), fps=2)
    for name in ("scan.png", "image.png", "photo.jpg", "receipt.jpg", "some-image.png"):
        make_text_image(workdir / name)
    # Speech, with subtitles beside it (what `transcribe` looks for first).
    shutil.copy(ROOT / "plugins/whisper/tests/data/hello.mp4", workdir / "talk.mp4")
    (workdir / "talk.en.vtt").write_text("WEBVTT\n\n00:00.500 --> 00:02.000\nHello world.\n")
    (workdir / "truth.srt").write_text("1\n00:00:00,500 --> 00:00:02,000\nHello world.\n")
    (workdir / "predicted.json").write_text('{"data": [{"start": 0.6, "end": 2.0, "value": "Hello world"}]}\n')
    shutil.copytree(ROOT / "examples", workdir / "examples")
    # "Your own media" with its reference: the demo clip and its exact truth, as SRT.
    from framescribe.formats import format_video, read_timed_text

    shutil.copy(ROOT / "examples/demo.mp4", workdir / "my.mp4")
    (workdir / "my.truth.srt").write_text(format_video(read_timed_text(ROOT / "examples/demo.truth.json"), "srt"))


RUNNER = """
import json, subprocess, sys, tomllib, traceback
from pathlib import Path
from framescribe.testing import loopback_only

steps = json.load(open(sys.argv[1]))
namespace = {"__name__": "__docs__"}


def run(step):
    kind = step["kind"]
    if kind == "python":
        exec(compile(step["code"], step["where"], "exec"), namespace)
    elif kind == "cli":
        from framescribe.cli import main
        code = main(step["argv"])
        assert code == 0, f"exit code {code}"
    elif kind == "toml":  # a config example: every backend and setting it names must validate
        from framescribe import Framescribe
        Framescribe(tomllib.loads(step["code"]), use_cache=False)
    elif kind == "json":  # a result example: framescribe must read it back
        from framescribe.formats import read_timed_text
        data = json.loads(step["code"])
        if isinstance(data, dict) and "data" in data:
            path = Path("docs-example.json")
            path.write_text(step["code"])
            assert len(read_timed_text(path).segments) == len(data["data"])
    elif kind == "pytest":
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *step["argv"]],
                              capture_output=True, text=True, check=False)
        assert proc.returncode == 0 and " passed" in proc.stdout and "failed" not in proc.stdout, proc.stdout[-4000:]


for step in steps:
    print(f"== {step['kind']} {step['where']}", flush=True)
    try:
        with loopback_only() as attempts:
            run(step)
        assert not attempts, f"the example tried to leave loopback: {attempts}"
    except BaseException:
        print(f"FAILED: {step['where']}", file=sys.stderr)
        traceback.print_exc()
        sys.exit(1)
print(f"ran {len(steps)} steps")
"""


@pytest.mark.parametrize("page", [p for p in _pages() if _blocks(p)], ids=_page_id)
def test_docs_examples_run(page: Path, tmp_path: Path) -> None:
    blocks = _blocks(page)
    workdir, site = tmp_path / "work", tmp_path / "site"
    workdir.mkdir()
    _sample_media(workdir)
    files = [b for b in blocks if b.file and b.skip is None]
    project = None
    if files:
        meta = next((tomllib.loads(b.code)["project"] for b in files if b.file == "pyproject.toml"), None)
        project = workdir / (meta["name"] if meta else "project")
        for b in files:
            target = project / b.file  # type: ignore[operator]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(b.code)
    paths = list(sys.path)
    if project is not None and (project / "pyproject.toml").exists():
        build_and_install(project, site)
        paths = [str(site), *paths]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in paths if p), HF_HUB_OFFLINE="1")

    steps = _steps(page, project)
    assert steps or all(b.skip or b.file for b in blocks)
    script = tmp_path / "steps.json"
    script.write_text(json.dumps(steps))
    run = subprocess.run([sys.executable, "-c", RUNNER, str(script)], cwd=workdir, env=env, capture_output=True,
                         text=True, timeout=600, check=False)
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-4000:]}"
    assert f"ran {len(steps)} steps" in run.stdout


def test_links_between_plugin_docs_resolve() -> None:
    for page in (DOCS / "plugins").glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_skip_marker_is_recognised() -> None:
    text = "intro\n<!-- docs-test: skip: installs software -->\n```sh\npip install acme\n```\n"
    [block] = _blocks(Path("probe.md"), text)
    assert block.skip == "installs software" and block.lang == "sh"
    assert skip_is_justified(block) is None
    [plain] = _blocks(Path("probe.md"), "```python file=src/x.py\nx = 1\n```\n")
    assert plain.skip is None and plain.file == "src/x.py" and plain.code == "x = 1\n"
    [bare] = _blocks(Path("probe.md"), "```\nError: something\n```\n")
    assert bare.lang == "" and bare.code == "Error: something\n"


@pytest.mark.parametrize(("lang", "reason", "code"), [
    ("sh", "installs software", "framescribe backends\n"),            # installs nothing: run it
    ("", "sample output", "framescribe video-text clip.mp4\n"),       # a real command, not output
    ("python", "sample output", "print('hi')\n"),                      # code, not output
    ("", "synopsis", "framescribe backends --json\n"),                # no placeholder in it
    ("toml", "config of an example backend", '[backends.tesseract]\npsm = 6\n'),  # installed: validate it
    ("sh", "too slow", "framescribe backends\n"),                     # not a recognised reason
    ("sh", "served by a live server", "framescribe backends\n"),     # no server in it: run it
    ("python", "served by a live server", "print('hi')\n"),           # talks to no server
])
def test_unjustified_skips_are_rejected(lang: str, reason: str, code: str) -> None:
    assert skip_is_justified(Block(Path("probe.md"), 1, lang, None, code, reason)) is not None


def test_shell_blocks_run_framescribe_commands_and_nothing_else(tmp_path: Path) -> None:
    block = Block(Path("probe.md"), 1, "sh", None,
                  "framescribe ocr scan.png --layout -f json   # a comment\n\nframescribe video-text 'my clip.mp4' \\\n  -f srt\n",
                  None)
    assert [s["argv"] for s in _shell_steps(block, None)] == [["ocr", "scan.png", "--layout", "-f", "json"],
                                                             ["video-text", "my clip.mp4", "-f", "srt"]]
    with pytest.raises(AssertionError, match="not something the docs test can run"):
        _shell_steps(Block(Path("probe.md"), 1, "sh", None, "pip install framescribe-acme\n", None), None)
    project = tmp_path / "framescribe-qr"
    steps = _shell_steps(Block(Path("probe.md"), 1, "sh", None,
                               "pip install -e './framescribe-qr[test]'\npytest framescribe-qr\n", None), project)
    assert steps == [{"kind": "pytest", "argv": ["framescribe-qr"], "where": "probe.md:1: pytest framescribe-qr"}]
