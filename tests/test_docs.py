"""The README is read to the end: short, both commands on its first screen, every document it points to there."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.harness import ROOT

DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FIRST_SCREEN = 24  # lines of a terminal or an editor's first view


def test_the_readme_stays_under_150_lines_with_both_commands_on_its_first_screen() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) < 150
    first_screen = "\n".join(lines[:FIRST_SCREEN])
    assert "make deploy" in first_screen
    assert "make local" in first_screen
    assert "make test" in first_screen


def test_every_relative_link_in_the_docs_leads_to_a_file_that_exists() -> None:
    broken = []
    for document in DOCUMENTS:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", document.read_text()):
            if re.match(r"[a-z]+://", target):
                continue
            if not (document.parent / target).exists():
                broken.append(f"{document.relative_to(ROOT)} -> {target}")
    assert broken == []


def test_the_readme_links_every_document_in_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    for document in sorted((ROOT / "docs").glob("*.md")):
        assert f"(docs/{document.name})" in readme, document.name


def test_no_document_links_a_readme_section_that_moved() -> None:
    anchors = {a for d in DOCUMENTS for a in re.findall(r"\]\((?:\.\./)?README\.md#([\w-]+)\)", d.read_text())}
    headings = {
        re.sub(r"[^\w\- ]", "", h).strip().lower().replace(" ", "-")
        for h in re.findall(r"^#+ (.+)$", Path(ROOT / "README.md").read_text(), flags=re.MULTILINE)
    }
    assert anchors <= headings


def test_the_program_is_the_only_python_module_at_the_repository_root() -> None:
    # Supporting modules live in stack_support/, so the root shows what a Pulumi user expects.
    assert sorted(p.name for p in ROOT.glob("*.py")) == ["__main__.py"]


def test_the_readme_layout_names_every_tracked_top_level_entry_and_only_existing_ones() -> None:
    readme = (ROOT / "README.md").read_text()
    block = readme.split("## Repository layout", 1)[1].split("```", 2)[1]
    listed: set[str] = set()
    for line in block.splitlines():
        if not line or line.startswith(" "):
            continue  # a continuation line
        names = line.split("  ", 1)[0]
        for name in (n.strip() for n in names.split(", ")):
            if match := re.fullmatch(r"(.*)\{(.+)\}(.*)", name):
                listed |= {f"{match[1]}{choice}{match[3]}" for choice in match[2].split(",")}
            else:
                listed.add(name)
    tops = {name.split("/")[0] for name in listed}
    missing_on_disk = sorted(n for n in listed if n != "app/" and not any(ROOT.glob(n.rstrip("/"))))
    assert missing_on_disk == [], "the README's layout names entries that do not exist"
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if tracked.returncode != 0:
        pytest.skip(f"not a git checkout ({tracked.stderr.strip()}): cannot list the tracked entries")
    entries = {path.split("/")[0] for path in tracked.stdout.splitlines()}
    dotfiles = {".gitignore", ".python-version", ".pulumi.version"}  # tool pins a Python or Pulumi user knows
    unlisted = sorted(
        e for e in entries - dotfiles if e not in tops and not any(Path(e).match(n.rstrip("/")) for n in listed)
    )
    assert unlisted == [], "add these top-level entries to the README's Repository layout"
