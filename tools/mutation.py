"""`make mutation`: do the tests catch the bug, not only the intent?

Each mutant is one small change (cosmic-ray's operators and four of ours, tools/mutation.toml) written into a copy of
the project on disk; the tests that execute the changed line then run in a fresh pytest process (forked from a worker
that has imported only third-party libraries), so module constants, decorated validators, import-time code and
session-scoped fixtures all see the mutant. A mutant the tests fail on is killed; one they pass survives. A seeded
sample of each module's mutants runs by default, so two runs compare.

Which tests execute which line is measured first: each test file runs alone under coverage (a session fixture shared
by many files would otherwise be credited to the first file that asked for it).

    python tools/mutation.py [--fraction F] [--seed N] [--workers N] [--only PATH]

Prints the kill rate per module and per area, and each surviving mutant with file, line and change; writes
.mutation/report.json; exits 1 when an area is under the threshold. tools/mutation-equivalents.txt lists the mutants
that cannot be killed because they do not change behaviour, each with the reason.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import difflib
import fcntl
import hashlib
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import coverage
import parso
from cosmic_ray.ast import ast_nodes, get_ast_from_path
from cosmic_ray.mutating import MutationVisitor
from cosmic_ray.operators.operator import Example, Operator
from cosmic_ray.plugins import get_operator

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / ".mutation"
CONFIG = ROOT / "tools" / "mutation.toml"
EQUIVALENTS = ROOT / "tools" / "mutation-equivalents.txt"
PYTHON = ROOT / "venv" / "bin" / "python"
# What a copy of the project links instead of copying: installed tools.
SHARED = ["venv", "policy/venv", "tools/node_modules", ".pulumi-cli"]
PRAGMA = "pragma: no mutate"


# Our operators: what cosmic-ray does not mutate.
class GarbleString(Operator):  # type: ignore[misc]  # cosmic-ray is untyped
    """``"Allow"`` -> ``"XXAllowXX"``: a string literal that no longer means what it said (docstrings excepted)."""

    def mutation_positions(self, node: Any) -> Iterator[tuple[Any, Any]]:
        if node.type == "string" and not _is_docstring(node) and not _in_annotation(node):
            yield node.start_pos, node.end_pos

    def mutate(self, node: Any, index: int) -> Any:
        value = node.value
        start = min(i for i in (value.find('"'), value.find("'")) if i >= 0)
        quote = value[start] * 3 if value[start : start + 3] == value[start] * 3 else value[start]
        body = value[start + len(quote) : len(value) - len(quote)]
        node.value = f"{value[:start]}{quote}XX{body}XX{quote}"
        return node

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        return (
            Example('x = "Allow"', 'x = "XXAllowXX"'),
            Example("x = r'a'", "x = r'XXaXX'"),
            Example('x: Literal["A"] = "A"', 'x: Literal["A"] = "XXAXX"'),
        )


class DropKeywordArgument(Operator):  # type: ignore[misc]  # cosmic-ray is untyped
    """``f(a, b=1)`` -> ``f(a)``: a setting left out, a child's ``opts`` (its parent) dropped."""

    def mutation_positions(self, node: Any) -> Iterator[tuple[Any, Any]]:
        for argument in _keyword_arguments(node):
            yield argument.start_pos, argument.end_pos

    def mutate(self, node: Any, index: int) -> Any:
        argument = _keyword_arguments(node)[index]
        _remove_with_comma(node, node.children.index(argument), 1)
        return node

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        return (Example("f(a, b=1)", "f(a)"), Example("f(b=1)", "f()"), Example("f(b=1, c=2)", "f( c=2)"))


class DropDictEntry(Operator):  # type: ignore[misc]  # cosmic-ray is untyped
    """``{"a": 1, "b": 2}`` -> ``{"b": 2}``: a condition, a dimension or a field left out of a document."""

    def mutation_positions(self, node: Any) -> Iterator[tuple[Any, Any]]:
        # Read before any mutation: the walk mutates the node while iterating these.
        positions = [(node.children[start].start_pos, node.children[start].end_pos) for start, _ in _dict_entries(node)]
        yield from positions

    def mutate(self, node: Any, index: int) -> Any:
        start, length = _dict_entries(node)[index]
        _remove_with_comma(node, start, length)
        return node

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        return (Example('d = {"a": 1, "b": 2}', 'd = { "b": 2}'), Example("d = {**a, 'b': 2}", "d = { 'b': 2}"))


class NegateMembership(Operator):  # type: ignore[misc]  # cosmic-ray is untyped
    """``x in y`` <-> ``x not in y`` (cosmic-ray's comparison operators leave membership alone)."""

    def mutation_positions(self, node: Any) -> Iterator[tuple[Any, Any]]:
        if node.type == "comparison":
            for op in node.children[1::2]:
                if op.get_code().split() in (["in"], ["not", "in"]):
                    yield op.start_pos, op.end_pos

    def mutate(self, node: Any, index: int) -> Any:
        ops = [i for i, op in enumerate(node.children) if i % 2 and op.get_code().split() in (["in"], ["not", "in"])]
        position = ops[index]
        negated = node.children[position].get_code().split() == ["in"]
        node.children[position] = parso.parse(" not in" if negated else " in")
        return node

    @classmethod
    def examples(cls) -> tuple[Example, ...]:
        return (Example("x in y", "x not in y"), Example("x not in y", "x in y"))


OWN_OPERATORS: dict[str, type[Operator]] = {
    o.__name__: o for o in (GarbleString, DropKeywordArgument, DropDictEntry, NegateMembership)
}


def _is_docstring(node: Any) -> bool:
    parent = node.parent
    if parent.type == "strings":
        parent = parent.parent
    return bool(parent.type == "simple_stmt")


def _in_annotation(node: Any) -> bool:
    """A string inside a type annotation (``x: Literal["A"]``, ``def f(a: "T") -> "R"``): a type, which mypy in
    `make test` checks, not a value the tests could see."""
    child, parent = node, node.parent
    while parent is not None:
        siblings = parent.children
        before = siblings[siblings.index(child) - 1] if siblings.index(child) > 0 else None
        if parent.type in ("annassign", "tfpdef", "funcdef") and before is not None and before in (":", "->"):
            return bool(parent.type != "funcdef" or before == "->")
        child, parent = parent, parent.parent
    return False


def _keyword_arguments(node: Any) -> list[Any]:
    """``name=value`` arguments of a call or class statement (``arglist``, or a trailer holding one argument)."""
    if node.type not in ("arglist", "trailer"):
        return []
    return [
        c
        for c in node.children
        if c.type == "argument" and len(c.children) == 3 and c.children[1].type == "operator" and c.children[1] == "="
    ]


def _dict_entries(node: Any) -> list[tuple[int, int]]:
    """(first child index, child count) of each ``key: value`` or ``**mapping`` entry of a dict display."""
    if node.type != "dictorsetmaker" or any(c.type in ("sync_comp_for", "comp_for") for c in node.children):
        return []
    entries, i = [], 0
    children = node.children
    while i < len(children):
        if children[i] == "**":
            entries.append((i, 2))
            i += 3
        elif i + 1 < len(children) and children[i + 1] == ":":
            entries.append((i, 3))
            i += 4
        else:
            return []  # a set display
    return entries


def _remove_with_comma(node: Any, start: int, length: int) -> None:
    """Removes ``length`` children from ``start`` and the comma after them (or, at the end, the one before)."""
    children = node.children
    end = start + length
    if end < len(children) and children[end] == ",":
        end += 1
    elif start > 0 and children[start - 1] == ",":
        start -= 1
    node.children = children[:start] + children[end:]


# The run.
@dataclass(frozen=True)
class Mutant:
    path: str
    operator: str
    occurrence: int
    line: int
    statement: int = 0
    """The first line of the statement holding the change: Python reports a statement that spans lines (a table
    of numbers, a call's arguments) as executed on its first line only, which is where coverage records it."""
    original: str = ""
    mutated: str = ""

    @property
    def key(self) -> str:
        """Stable across unrelated edits: file, operator and the line before and after, not the line number."""
        return f"{self.path} | {self.operator} | {self.original.strip()} => {self.mutated.strip()}".rstrip()


@dataclass
class Outcome:
    mutant: Mutant
    verdict: str  # killed, timeout, survived, uncovered
    seconds: float = 0.0
    tests: list[str] = field(default_factory=list)


def operator_instances(config: dict[str, Any]) -> dict[str, Operator]:
    operators: dict[str, Operator] = {name: get_operator(name)() for name in config["operators"]["cosmic_ray"]}
    for name in config["operators"]["own"]:
        operators[name] = OWN_OPERATORS[name]()
    return operators


def enumerate_mutants(path: Path, operators: dict[str, Operator]) -> list[Mutant]:
    """Every mutant of one file, with the line it changes as it reads before and after."""
    relative = str(path.relative_to(ROOT))
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for name, operator in operators.items():
        module = get_ast_from_path(path)
        occurrence = 0
        for node in ast_nodes(module):
            for start, _ in operator.mutation_positions(node):
                line = start[0]
                if PRAGMA not in lines[line - 1]:
                    found.append(Mutant(relative, name, occurrence, line, _statement_line(node)))
                occurrence += 1
    return found


def describe(mutant: Mutant, operators: dict[str, Operator]) -> Mutant:
    """The mutant with its changed line, read from the mutated source."""
    source = (ROOT / mutant.path).read_text()
    mutated = MutationVisitor.mutate_code(source, operators[mutant.operator], mutant.occurrence)
    before = source.splitlines()
    after = (mutated or source).splitlines()
    changed = [line for line in difflib.unified_diff(before, after, lineterm="", n=0) if line[:1] in "+-"]
    old = next((c[1:] for c in changed if c.startswith("-") and not c.startswith("---")), before[mutant.line - 1])
    new = next((c[1:] for c in changed if c.startswith("+") and not c.startswith("+++")), "")
    return Mutant(mutant.path, mutant.operator, mutant.occurrence, mutant.line, mutant.statement, old, new)


def _statement_line(node: Any) -> int:
    """The first line of the statement (in its block or the module) that holds ``node``."""
    while node.parent is not None and node.parent.type not in ("file_input", "suite"):
        node = node.parent
    return int(node.start_pos[0])


def sample_mutants(every: dict[str, list[Mutant]], fraction: float, seed: int) -> list[Mutant]:
    """The same share of each file's mutants (at least one), drawn with ``seed``: the same code, the same sample."""
    rng = random.Random(seed)
    sample: list[Mutant] = []
    for target in sorted(every):
        mutants = every[target]
        count = max(1, round(len(mutants) * fraction)) if mutants else 0
        sample += sorted(rng.sample(mutants, count), key=lambda m: (m.line, m.operator, m.occurrence))
    return sample


def test_files(copy: Path) -> list[str]:
    """The tracked test files, as a worker's copy has them."""
    return sorted(str(p.relative_to(copy)) for p in (copy / "tests").glob("test_*.py"))


Coverage = tuple[dict[str, dict[int, set[str]]], dict[str, float]]


def coverage_map(targets: list[str], copies: queue.Queue[Path], workers: int) -> Coverage:
    """:func:`measure_coverage`, kept in .mutation/ while no tracked file changes (it takes minutes)."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    digest = hashlib.sha256("\0".join(targets).encode())
    for name in sorted(n for n in tracked.decode().split("\0") if n and (ROOT / n).is_file()):
        digest.update(name.encode() + b"\0" + (ROOT / name).read_bytes())
    cache = WORK / "coverage-map.json"
    if cache.exists():
        kept = json.loads(cache.read_text())
        if kept["digest"] == digest.hexdigest():
            print("  the project is unchanged since the last measurement: reusing it", flush=True)
            kept_lines = kept["covered"].items()
            covered = {t: {int(line): set(tests) for line, tests in lines.items()} for t, lines in kept_lines}
            return covered, kept["seconds"]
    covered, seconds = measure_coverage(targets, copies, workers)
    plain = {t: {line: sorted(tests) for line, tests in lines.items()} for t, lines in covered.items()}
    cache.write_text(json.dumps({"digest": digest.hexdigest(), "covered": plain, "seconds": seconds}))
    return covered, seconds


def measure_coverage(targets: list[str], copies: queue.Queue[Path], workers: int) -> Coverage:
    """Which test file executes which line of each target, and how long each test file takes alone (in the workers'
    copies, so that editing the project during a run changes nothing)."""
    out = WORK / "coverage"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)

    def one(test: str) -> tuple[str, float, int, Path]:
        copy = copies.get()
        try:
            started = time.monotonic()
            data = out / (test.replace("/", "_") + ".coverage")
            include = ",".join(str(copy / t) for t in targets)
            coverage_run = [str(PYTHON), "-m", "coverage", "run", f"--data-file={data}", f"--include={include}"]
            result = subprocess.run(
                [*coverage_run, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", test],
                cwd=copy,
                capture_output=True,
                text=True,
                env=_env(),
                check=False,
            )
            return test, time.monotonic() - started, result.returncode, copy
        finally:
            copies.put(copy)

    seconds: dict[str, float] = {}
    covered: dict[str, dict[int, set[str]]] = {t: {} for t in targets}
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for test, took, code, copy in pool.map(one, test_files(WORK / "worker-0")):
            if code not in (0, 5):
                raise SystemExit(f"{test} fails without any mutant (exit {code}): fix it before mutation testing")
            seconds[test] = took
            data_file = out / (test.replace("/", "_") + ".coverage")
            if not data_file.exists():
                continue
            data = coverage.CoverageData(basename=str(data_file))
            data.read()
            for target in targets:
                for line in data.lines(str(copy / target)) or []:
                    covered[target].setdefault(line, set()).add(test)
    return covered, seconds


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # A mutated file keeps its size and often its modification second: a cached .pyc would hide the mutant.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PROPERTY_EXAMPLES", None)
    return env


def make_copy(index: int) -> Path:
    """A copy of the tracked project (the working tree's content) with the installed tools linked, for one worker."""
    copy = WORK / f"worker-{index}"
    shutil.rmtree(copy, ignore_errors=True)
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in tracked.decode().split("\0"):
        if name and (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    for name in [n for n in SHARED if (ROOT / n).exists()] + [".git"]:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        (copy / name).symlink_to(ROOT / name)
    if (ROOT / "app").exists():
        (copy / "app").symlink_to(ROOT / "app")
    return copy


class Worker:
    """A process in one copy of the project that has imported the third-party libraries (pulumi_aws, boto3, moto,
    ...) once and forks a fresh pytest for each mutant: the project's own modules, tests and fixtures are imported
    anew by every fork, from the mutated files; the libraries are not ours and never mutated."""

    def __init__(self, copy: Path) -> None:
        self.copy = copy
        self.process = subprocess.Popen(
            [str(PYTHON), str(Path(__file__).resolve()), "--serve", str(copy)],
            cwd=copy,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=_env(),
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit(f"the mutation worker in {copy} did not start")

    def pytest(self, tests: list[str], timeout: float) -> int | None:
        """pytest's exit code for ``tests`` in a fresh fork, or None when it ran out of time."""
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(json.dumps({"tests": tests, "timeout": timeout}) + "\n")
        self.process.stdin.flush()
        code: int | None = json.loads(self.process.stdout.readline())["code"]
        return code

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)


def serve(copy: Path) -> int:
    """The worker's side of :class:`Worker`: one request per line on stdin, one exit code per line on stdout."""
    import importlib
    import signal

    sys.dont_write_bytecode = True
    os.chdir(copy)
    makefile = (copy / "Makefile").read_text()
    services = next(line for line in makefile.splitlines() if line.startswith("AWS_SERVICES :=")).split()[2:]
    for module in [*PRELOAD, *(f"pulumi_aws.{s}" for s in services)]:
        importlib.import_module(module)
    print("ready", flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:  # the fork: a pytest of its own, in a process group of its own (its servers die with it)
            os.setsid()
            quiet = os.open(os.devnull, os.O_WRONLY)
            os.dup2(quiet, 1)
            os.dup2(quiet, 2)
            import pytest

            os._exit(int(pytest.main(["-q", "-x", "-p", "no:cacheprovider", *request["tests"]])))
        deadline = time.monotonic() + request["timeout"]
        code: int | None = None
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                code = os.waitstatus_to_exitcode(status)
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.02)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)  # what the tests started (a moto server), and the fork if it is late
        if code is None:
            os.waitpid(pid, 0)
        print(json.dumps({"code": code}), flush=True)
    return 0


# Imported once per worker (tools/mutation.py --serve): third-party packages only, never a module of the project.
PRELOAD = [
    "pulumi",
    "pulumi.runtime",
    "pulumi_aws",
    "pulumi_docker",
    "pulumi_policy",
    "boto3",
    "botocore.session",
    "moto",
    "moto.server",
    "pydantic",
    "yaml",
    "jsonschema",
    "hypothesis",
    "pytest",
    "_pytest.python",
]


def run_mutant(
    mutant: Mutant, worker: Worker, tests: list[str], timeout: float, operators: dict[str, Operator]
) -> Outcome:
    path = worker.copy / mutant.path
    original = path.read_text()
    started = time.monotonic()
    try:
        MutationVisitor.mutate_path(path, operators[mutant.operator], mutant.occurrence)
        shutil.rmtree(path.parent / "__pycache__", ignore_errors=True)
        code = worker.pytest(tests, timeout)
    finally:
        path.write_text(original)
    if code is None:
        return Outcome(mutant, "timeout", time.monotonic() - started, tests)
    # 0: every test passed; 5: none was collected (cannot happen: the files were measured to cover the line).
    verdict = "survived" if code in (0, 5) else "killed"
    return Outcome(mutant, verdict, time.monotonic() - started, tests)


def area_of(path: str, areas: dict[str, list[str]]) -> str:
    for name, patterns in areas.items():
        if any(Path(path).match(p) for p in patterns):
            return name
    raise ValueError(path)


def read_equivalents() -> dict[str, str]:
    """key -> reason, from tools/mutation-equivalents.txt (``key  # reason`` per line)."""
    equivalents = {}
    for line in EQUIVALENTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, reason = line.partition("  # ")
            if not reason.strip():
                raise SystemExit(f"{EQUIVALENTS.name}: every equivalent mutant needs its reason: {line}")
            equivalents[key.strip()] = reason.strip()
    return equivalents


def main(argv: list[str] | None = None) -> int:
    config = tomllib.loads(CONFIG.read_text())
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=config["fraction"])
    parser.add_argument("--seed", type=int, default=config["seed"])
    parser.add_argument("--workers", type=int, default=config["workers"])
    parser.add_argument("--only", help="mutate this file only (a path of tools/mutation.toml's areas)")
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)  # a worker (class Worker)
    args = parser.parse_args(argv)
    if args.serve:
        return serve(args.serve)
    with _only_run():
        return _run(args, config)


@contextlib.contextmanager
def _only_run() -> Iterator[None]:
    """Holds .mutation/lock for the run: two runs at once would write their mutants into the same worker copies and
    each would count the other's changes as its own."""
    WORK.mkdir(exist_ok=True)
    with (WORK / "lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SystemExit(
                "another make mutation is running in this checkout (.mutation/lock); wait for it"
            ) from None
        yield


def _run(args: argparse.Namespace, config: dict[str, Any]) -> int:

    areas: dict[str, list[str]] = config["areas"]
    targets = sorted(str(p.relative_to(ROOT)) for ps in areas.values() for pattern in ps for p in ROOT.glob(pattern))
    targets = [t for t in targets if not t.endswith("__init__.py")]
    operators = operator_instances(config)
    equivalents = read_equivalents()

    started = time.monotonic()
    copies: queue.Queue[Path] = queue.Queue()
    for i in range(args.workers):
        copies.put(make_copy(i))
    print(f"measuring which tests execute each line of {len(targets)} files ...", flush=True)
    covered, seconds = coverage_map(targets, copies, args.workers)
    print(f"  {time.monotonic() - started:.0f} s", flush=True)
    if args.only:
        if args.only not in targets:
            raise SystemExit(f"--only {args.only}: not one of {', '.join(targets)}")
        targets = [args.only]

    every = {target: enumerate_mutants(ROOT / target, operators) for target in targets}
    total = sum(len(m) for m in every.values())
    sample = [describe(m, operators) for m in sample_mutants(every, args.fraction, args.seed)]
    print(f"{len(sample)} of {total} mutants (fraction {args.fraction}, seed {args.seed}), {args.workers} workers")

    outcomes: list[Outcome] = []
    runnable: list[tuple[Mutant, list[str]]] = []
    for mutant in sample:
        by_line = covered[mutant.path]
        tests = by_line.get(mutant.line, set()) | by_line.get(mutant.statement, set())
        if not tests:
            outcomes.append(Outcome(mutant, "uncovered"))
        else:
            # The files that exercise most of the module first (likeliest to catch it), then the quickest.
            focus = {t: sum(t in by_line for by_line in covered[mutant.path].values()) for t in tests}
            runnable.append((mutant, sorted(tests, key=lambda t: (-focus[t], seconds[t]))))

    workers: queue.Queue[Worker] = queue.Queue()
    started_workers = [Worker(copies.get()) for _ in range(args.workers)]
    for worker in started_workers:
        workers.put(worker)

    def work(item: tuple[Mutant, list[str]]) -> Outcome:
        mutant, tests = item
        timeout = max(config["min_timeout"], config["timeout_factor"] * sum(seconds[t] for t in tests))
        worker = workers.get()
        try:
            return run_mutant(mutant, worker, tests, timeout, operators)
        finally:
            workers.put(worker)

    with concurrent.futures.ThreadPoolExecutor(args.workers) as pool:
        for done, outcome in enumerate(pool.map(work, runnable), 1):
            outcomes.append(outcome)
            mark = "." if outcome.verdict in ("killed", "timeout") else "S"
            print(mark, end="" if done % 80 else f" {done}/{len(runnable)}\n", flush=True)
    print()
    for worker in started_workers:
        worker.close()
    return report(outcomes, areas, equivalents, config["threshold"], time.monotonic() - started, args)


def report(
    outcomes: list[Outcome],
    areas: dict[str, list[str]],
    equivalents: dict[str, str],
    threshold: float,
    elapsed: float,
    args: argparse.Namespace,
) -> int:
    def rate(items: list[Outcome]) -> tuple[int, int, float]:
        counted = [o for o in items if o.mutant.key not in equivalents]
        killed = sum(o.verdict in ("killed", "timeout") for o in counted)
        return killed, len(counted), killed / len(counted) if counted else 1.0

    print("\nkill rate per module (equivalent mutants not counted):")
    for path in sorted({o.mutant.path for o in outcomes}):
        killed, counted, share = rate([o for o in outcomes if o.mutant.path == path])
        print(f"  {path:40} {killed:4}/{counted:<4} {share:6.1%}")
    print("\nkill rate per area:")
    failed = []
    for area in areas:
        killed, counted, share = rate([o for o in outcomes if area_of(o.mutant.path, areas) == area])
        verdict = "ok" if share >= threshold else f"under {threshold:.0%}"
        print(f"  {area:40} {killed:4}/{counted:<4} {share:6.1%}  {verdict}")
        if share < threshold:
            failed.append(area)
    survivors = [o for o in outcomes if o.verdict in ("survived", "uncovered") and o.mutant.key not in equivalents]
    print(f"\n{len(survivors)} surviving mutants (file:line operator: before => after):")
    for o in sorted(survivors, key=lambda o: (o.mutant.path, o.mutant.line)):
        m = o.mutant
        why = "no test executes this line" if o.verdict == "uncovered" else f"{len(o.tests)} test files pass"
        print(f"  {m.path}:{m.line} {m.operator} ({why})\n      {m.original.strip()}\n   => {m.mutated.strip()}")
    known = sum(o.mutant.key in equivalents for o in outcomes)
    print(f"\n{known} sampled mutants are listed as equivalent in {EQUIVALENTS.relative_to(ROOT)}")
    print(f"{len(outcomes)} mutants in {elapsed / 60:.1f} min")
    WORK.mkdir(exist_ok=True)
    (WORK / "report.json").write_text(
        json.dumps(
            {
                "fraction": args.fraction,
                "seed": args.seed,
                "outcomes": [{**asdict(o.mutant), "key": o.mutant.key, **_plain(o)} for o in outcomes],
            },
            indent=1,
        )
    )
    return 1 if failed else 0


def _plain(outcome: Outcome) -> dict[str, Any]:
    return {"verdict": outcome.verdict, "seconds": round(outcome.seconds, 1), "tests": outcome.tests}


if __name__ == "__main__":
    sys.exit(main())
