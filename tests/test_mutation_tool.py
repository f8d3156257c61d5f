"""`make mutation` mutates what it claims: our operators, the configured ones, the sample and the equivalents file."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from cosmic_ray.mutating import mutate_code

from tests.harness import ROOT


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutation_tool", ROOT / "tools" / "mutation.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


mutation = _load()
CONFIG = tomllib.loads((ROOT / "tools" / "mutation.toml").read_text())


@pytest.mark.parametrize("name", sorted(mutation.OWN_OPERATORS))
def test_each_of_our_operators_makes_exactly_the_mutations_it_documents(name: str) -> None:
    operator = mutation.OWN_OPERATORS[name]
    for example in operator.examples():
        assert mutate_code(example.pre_mutation_code, operator(), example.occurrence) == example.post_mutation_code


def test_docstrings_are_not_garbled_but_every_other_string_is() -> None:
    source = 'def f():\n    """Doc."""\n    return {"Effect": "Allow"}\n'
    garble = mutation.GarbleString()
    assert mutate_code(source, garble, 0) == 'def f():\n    """Doc."""\n    return {"XXEffectXX": "Allow"}\n'
    assert mutate_code(source, garble, 1) == 'def f():\n    """Doc."""\n    return {"Effect": "XXAllowXX"}\n'
    assert mutate_code(source, garble, 2) is None


def test_strings_in_type_annotations_are_not_garbled_but_defaults_and_bodies_are() -> None:
    # An annotation is a type for mypy (`make lint`), not a value pytest could see.
    source = 'def f(a: "T" = "d") -> "R":\n    x: Literal["A"] = "B"\n'
    garble = mutation.GarbleString()
    assert mutate_code(source, garble, 0) == 'def f(a: "T" = "XXdXX") -> "R":\n    x: Literal["A"] = "B"\n'
    assert mutate_code(source, garble, 1) == 'def f(a: "T" = "d") -> "R":\n    x: Literal["A"] = "XXBXX"\n'
    assert mutate_code(source, garble, 2) is None


def test_dropping_a_keyword_argument_can_drop_a_childs_parent() -> None:
    source = "aws.ecs.Service(f'{name}-service', cluster=c.arn, opts=child)\n"
    dropped = mutate_code(source, mutation.DropKeywordArgument(), 1)
    assert dropped == "aws.ecs.Service(f'{name}-service', cluster=c.arn)\n"


def test_dropping_a_dict_entry_can_drop_a_metric_dimension() -> None:
    source = 'dimensions = {"TargetGroup": tg, "LoadBalancer": lb}\n'
    assert mutate_code(source, mutation.DropDictEntry(), 1) == 'dimensions = {"TargetGroup": tg}\n'
    assert mutate_code("s = {a, b}\n", mutation.DropDictEntry(), 0) is None  # a set is not a document


def test_every_configured_operator_exists_and_every_area_names_files() -> None:
    operators = mutation.operator_instances(CONFIG)
    assert set(CONFIG["operators"]["own"]) <= set(operators)
    for area, patterns in CONFIG["areas"].items():
        assert any(ROOT.glob(p) for p in patterns), area
    assert 0 < CONFIG["fraction"] <= 1
    assert 0 < CONFIG["threshold"] <= 1


def test_a_mutant_is_known_by_its_change_not_its_line_number(tmp_path: Path) -> None:
    operators = mutation.operator_instances(CONFIG)
    first = mutation.enumerate_mutants(ROOT / "components" / "ordering.py", operators)
    assert first, "ordering.py has numbers to mutate"
    keys = {mutation.describe(m, operators).key for m in first}
    assert all(" => " in k and k.startswith("components/ordering.py | ") for k in keys)
    assert len(keys) == len(first), "two mutants must not share a key"


def test_the_sample_takes_each_files_share_and_is_the_same_for_the_same_seed() -> None:
    every = {
        f: [mutation.Mutant(f, "core/NumberReplacer", i, i + 1) for i in range(n)]
        for f, n in (("a.py", 100), ("b.py", 10), ("c.py", 1), ("d.py", 0))
    }
    sample = mutation.sample_mutants(every, 0.2, 14)
    assert [sum(m.path == f for m in sample) for f in ("a.py", "b.py", "c.py", "d.py")] == [20, 2, 1, 0]
    assert mutation.sample_mutants(every, 0.2, 14) == sample
    assert mutation.sample_mutants(every, 0.2, 15) != sample


def test_every_equivalent_mutant_is_explained(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mutation.read_equivalents()  # the committed file parses: each entry has its reason
    bad = tmp_path / "equivalents.txt"
    bad.write_text("components/x.py | GarbleString | a => b\n")
    monkeypatch.setattr(mutation, "EQUIVALENTS", bad)
    with pytest.raises(SystemExit, match="needs its reason"):
        mutation.read_equivalents()


def test_mutation_testing_runs_weekly_and_on_demand_through_make_mutation() -> None:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "mutation.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert "schedule" in triggers
    assert "workflow_dispatch" in triggers
    steps = [s.get("run", "") for job in workflow["jobs"].values() for s in job["steps"]]
    assert "make mutation" in steps
    assert "\nmutation:" in (ROOT / "Makefile").read_text()


def test_a_change_inside_a_multi_line_statement_is_run_by_the_tests_of_its_first_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Python reports a statement spanning lines as executed on its first line, where coverage records it.
    source = tmp_path / "table.py"
    source.write_text("SIZES = {\n    256: (512, 1024),\n    512: (1024, 2048),\n}\n\n\ndef f():\n    return 1\n")
    operators = {"core/NumberReplacer": mutation.operator_instances(CONFIG)["core/NumberReplacer"]}
    monkeypatch.setattr(mutation, "ROOT", tmp_path)
    mutants = mutation.enumerate_mutants(source, operators)
    assert {(m.line, m.statement) for m in mutants} == {(2, 1), (3, 1), (8, 8)}


def test_an_equivalent_mutant_listed_in_the_file_is_recognised_by_its_key() -> None:
    # A removed line leaves nothing after "=>": the file's key and the mutant's must still be the same string.
    removed = mutation.Mutant("stack_support/settings.py", "core/RemoveDecorator", 0, 1, 1, "    @classmethod", "")
    assert removed.key in mutation.read_equivalents()


def test_every_equivalent_mutant_listed_is_one_the_tool_makes_today() -> None:
    # An entry whose line changed no longer excuses anything: it must go, or be written for the new line.
    operators = mutation.operator_instances(CONFIG)
    listed: dict[tuple[str, str], list[str]] = {}
    for key in mutation.read_equivalents():
        path, operator, _ = key.split(" | ", 2)
        listed.setdefault((path, operator), []).append(key)
    for (path, operator), keys in listed.items():
        source_lines = (ROOT / path).read_text().splitlines()
        mutants = mutation.enumerate_mutants(ROOT / path, {operator: operators[operator]})
        for key in keys:
            original = key.split(" | ", 2)[2].split(" =>")[0]
            candidates = (m for m in mutants if source_lines[m.line - 1].strip() == original)
            assert any(mutation.describe(m, operators).key == key for m in candidates), key


def test_a_second_run_in_the_same_checkout_stops_instead_of_sharing_the_worker_copies(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mutation, "WORK", tmp_path)
    with (
        mutation._only_run(),
        pytest.raises(SystemExit, match="another make mutation is running"),
        mutation._only_run(),
    ):
        pass
    with mutation._only_run():  # released when the first run ends
        pass
