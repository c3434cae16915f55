"""The shape of the code: no module imports another that imports it back (directly or round a
longer loop, at module level or inside a function), every module imports on its own, no
function is over sixty lines, and our JavaScript is at most six hundred."""

import ast
import re
import subprocess
import sys

from .conftest import ROOT

PACKAGE = ROOT / "pathways"


def module_name(path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, object]:
    return {
        module_name(path): path
        for path in sorted(PACKAGE.rglob("*.py"))
        if "migrations" not in path.parts
    }


def imports_of(name: str, path, known: set[str]) -> set[str]:
    """The project modules `name` imports anywhere in its file, relative imports resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from . import views` imports a module; `from .models import Entry` a name.
            targets = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        found |= {target for target in targets if target in known and target != name}
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_no_module_imports_one_that_imports_it_back():
    modules = project_modules()
    graph = {name: imports_of(name, path, set(modules)) for name, path in modules.items()}
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# Sets Django up once, then imports each module named on the command line in a child forked
# from that state (as fresh as a new interpreter that has set Django up, at a fraction of the
# cost of one), and prints each failure as "module<TAB>the error's last line".
IMPORT_EACH = """
import importlib, os, sys, traceback
import django
django.setup()
for name in sys.argv[1:]:
    child = os.fork()
    if child == 0:
        try:
            importlib.import_module(name)
        except BaseException as error:
            line = traceback.format_exception_only(error)[-1].strip()
            print(f"{name}\t{line}", flush=True)
            os._exit(1)
        os._exit(0)
    os.waitpid(child, 0)
"""


def modules_that_fail_to_import_alone(names, path: str = "") -> dict[str, str]:
    """Each module that fails to import in a fresh process with Django set up, with the last
    line of its error; `path` is searched for modules too."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EACH, *names],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "", "PYTHONPATH": path},
        check=True,
    )
    return dict(line.split("\t", 1) for line in result.stdout.splitlines())


def test_every_module_imports_on_its_own():
    # An import that only works because another module happened to be imported first fails.
    assert modules_that_fail_to_import_alone(project_modules()) == {}


def test_a_module_that_needs_another_imported_first_is_found(tmp_path):
    (tmp_path / "first.py").write_text("")
    (tmp_path / "second.py").write_text("import sys\nsys.modules['first']\n")
    failures = modules_that_fail_to_import_alone(["first", "second", "third"], str(tmp_path))
    assert failures == {
        "second": "KeyError: 'first'",
        "third": "ModuleNotFoundError: No module named 'third'",
    }


def readme_paths() -> set[str]:
    """Every file or folder of the checkout the README names in `code`. In a table row, a
    bare file name is in the folder the row is about (`api.py` in `pathways/integration/`)."""
    found = set()
    for line in (ROOT / "README.md").read_text().splitlines():
        tokens = re.findall(r"`([^`\s]+)`", line)
        folder = tokens[0] if line.startswith("|") and tokens and tokens[0].endswith("/") else ""
        for token in tokens:
            looks_like_path = "/" in token or re.search(r"\.(py|md|toml|json|html|js|css)$", token)
            elsewhere = token.startswith(("/", "http", ".venv/bin")) or "<" in token
            elsewhere |= bool(re.fullmatch(r"[\d/]+", token))  # a date such as 23/9/26
            if looks_like_path and not elsewhere:
                found.add((token if "/" in token else folder + token).rstrip("/"))
    return found


def test_every_path_the_readme_names_exists():
    paths = readme_paths()
    assert {"pathways/models.py", "pathways/operations", "tests/data"} <= paths
    assert sorted(path for path in paths if not (ROOT / path).exists()) == []


def test_the_readme_says_nothing_twice():
    seen = {}
    repeated = []
    for number, line in enumerate((ROOT / "README.md").read_text().splitlines(), 1):
        key = " ".join(line.split())
        row = re.match(r"\|\s*([^|]+?)\s*\|", key)
        if row and set(row[1]) <= set("-: "):
            continue
        key = row[1] if row else key
        if len(key) >= (1 if row else 25) and not key.startswith("```"):
            if key in seen:
                repeated.append((number, seen[key], key))
            seen.setdefault(key, number)
    assert repeated == []


# STYLE.md: a function a newcomer can read at once (issue 22).
LONGEST_FUNCTION = 60


def long_functions(path, root=ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    return [
        f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)"
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (length := node.end_lineno - node.lineno + 1) > LONGEST_FUNCTION
    ]


def test_no_function_is_over_sixty_lines():
    found = [line for path in project_modules().values() for line in long_functions(path)]
    assert not found, found


def test_the_length_check_finds_a_long_function(tmp_path):
    long = tmp_path / "long.py"
    body = "".join(f"    x{n} = {n}\n" for n in range(LONGEST_FUNCTION))
    long.write_text(f'def long():\n    """One line too many."""\n{body}')
    assert long_functions(long, root=tmp_path) == ["long.py:1 long (62 lines)"]


# Issue 22: the browser applies data the server worked out, so our JavaScript stays small.
LONGEST_JAVASCRIPT = 600
SERVICE_WORKER = "templates/pathways/service-worker.js"


def our_javascript(root=ROOT) -> dict[str, int]:
    """Lines of our JavaScript: static/pathways/*.js and the service worker's template."""
    paths = [*sorted((root / "static/pathways").glob("*.js")), root / SERVICE_WORKER]
    return {str(path.relative_to(root)): len(path.read_text().splitlines()) for path in paths}


def test_our_javascript_is_at_most_six_hundred_lines():
    lines = our_javascript()
    assert SERVICE_WORKER in lines and "static/pathways/offline.js" in lines
    assert sum(lines.values()) <= LONGEST_JAVASCRIPT, lines
