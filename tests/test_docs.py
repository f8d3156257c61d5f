"""The README is read to the end: short, both commands on its first screen, every document it points to there."""

from __future__ import annotations

import re
from pathlib import Path

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
