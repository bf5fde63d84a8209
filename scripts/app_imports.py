"""App-level imports of civicgrid: each app's dependencies, the pairs of apps that import
each other, and cross-app imports inside functions (a way to hide a cycle). Imports under
`if TYPE_CHECKING:` are not dependencies; imports in an `AppConfig.ready()` are where
Django lets an app connect to a lower app's ports (docs/decisions/0007) and count as
ordinary imports.

Run from the repository root: `python3 scripts/app_imports.py`. Tests and migrations are
left out; the enforced rules are the import-linter contracts in pyproject.toml."""

import ast
import collections
import pathlib

ROOT = pathlib.Path("civicgrid")


def main() -> None:
    edges: dict[str, set[str]] = collections.defaultdict(set)
    local: list[tuple[str, str, int]] = []
    for path in ROOT.rglob("*.py"):
        if "migrations" in path.parts or "tests" in path.parts \
                or path.name in ("conftest.py", "testing.py"):  # test support, not a layer
            continue
        app = path.parts[1]

        def visit(node: ast.AST, in_func: bool, app: str = app, path: pathlib.Path = path):
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                    continue  # annotations only: no dependency at run time
                if isinstance(child, ast.FunctionDef) and path.name == "apps.py" \
                        and child.name == "ready":
                    visit(child, False)  # Django's place to connect ports once models load
                    continue
                if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                    visit(child, True)
                    continue
                modules = []
                if isinstance(child, ast.ImportFrom) and child.module:
                    modules = [child.module]
                elif isinstance(child, ast.Import):
                    modules = [n.name for n in child.names]
                for module in modules:
                    if not module.startswith("civicgrid."):
                        continue
                    other = module.split(".")[1]
                    if other != app:
                        edges[app].add(other)
                        if in_func:
                            local.append((str(path), module, child.lineno))
                visit(child, in_func)

        visit(ast.parse(path.read_text()), False)
    for app in sorted(edges):
        print(app, "->", sorted(edges[app]))
    deps = dict(edges)
    pairs = sorted({tuple(sorted((a, b))) for a in deps for b in deps[a] if a in deps.get(b, ())})
    print("mutual", len(pairs), pairs)
    print("local", len(local))
    for item in local:
        print(" ", item)


if __name__ == "__main__":
    main()
