"""The import contract of docs/architecture.md ("Layers"), as a checker the suite runs.

Reads every module of `src/cocdesk` (migrations aside) with `ast`, collects the imports made when
the module loads (those under `if TYPE_CHECKING:` are for type hints only and do not count), and
reports each import that breaks a rule, and each import cycle between modules.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import models

SRC = Path(__file__).resolve().parent.parent / "src"
APPS = ("audit", "members", "cases", "intake", "outbox", "escrow", "deadlines", "transparency", "ops")
FLOOR = {
    "cocdesk.identity",
    "cocdesk.clock",
    "cocdesk.crypto",
    "cocdesk.votes",
    "cocdesk.errors",
    "cocdesk.fields",
    "cocdesk.receipts",
    # infrastructure that imports no app either: the shared cache, sessions, client addresses
    "cocdesk.cache",
    "cocdesk.sessions",
    "cocdesk.clients",
    "cocdesk.keyset",  # keyset pagination of every list (issue 15)
}
PURE = {"cocdesk.deadlines.rules"}  # rule modules: facts in, answers out; only the floor
EDGE = {
    "cocdesk.confirm",
    "cocdesk.web",
    "cocdesk.stepup",
    "cocdesk.middleware",
    "cocdesk.uploads",
}  # what views may use besides their app


@dataclass(frozen=True)
class Import:
    module: str  # the module that imports
    target: str  # the module imported
    names: tuple[str, ...] = ()  # names taken from it (`from target import names`)
    line: int = 0


@dataclass
class Graph:
    modules: set[str] = field(default_factory=set)
    imports: list[Import] = field(default_factory=list)


def module_name(path: Path, root: Path = SRC) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(tree: ast.Module) -> Iterable[ast.Import | ast.ImportFrom]:
    """Imports executed when the module loads: top level, and inside try/if blocks at top level,
    but not `if TYPE_CHECKING:` blocks."""

    def walk(body: list[ast.stmt]) -> Iterable[ast.Import | ast.ImportFrom]:
        for node in body:
            if isinstance(node, ast.Import | ast.ImportFrom):
                yield node
            elif isinstance(node, ast.If):
                if "TYPE_CHECKING" not in ast.unparse(node.test):
                    yield from walk(node.body)
                yield from walk(node.orelse)
            elif isinstance(node, ast.Try):
                for block in (node.body, node.orelse, node.finalbody, *[h.body for h in node.handlers]):
                    yield from walk(block)

    return walk(tree.body)


def graph_of(sources: dict[str, str]) -> Graph:
    """The import graph of `{module name: source}` (only imports of cocdesk modules are kept)."""
    graph = Graph(modules=set(sources))
    for module, source in sources.items():
        package = module if _is_package(module, sources) else module.rpartition(".")[0]
        for node in _runtime_imports(ast.parse(source)):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("cocdesk"):
                        graph.imports.append(Import(module, alias.name, (), node.lineno))
                continue
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("cocdesk"):
                continue
            plain = []
            for alias in node.names:
                if f"{base}.{alias.name}" in sources:  # `from package import submodule`
                    graph.imports.append(Import(module, f"{base}.{alias.name}", (), node.lineno))
                else:
                    plain.append(alias.name)
            if plain or not node.names:
                graph.imports.append(Import(module, base, tuple(plain), node.lineno))
    return graph


def _is_package(module: str, sources: dict[str, str]) -> bool:
    return any(other.startswith(module + ".") for other in sources)


def load_tree() -> dict[str, str]:
    return {
        module_name(path): path.read_text()
        for path in sorted((SRC / "cocdesk").rglob("*.py"))
        if "migrations" not in path.parts
    }


# --- what a module is ----------------------------------------------------------------------------


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in APPS else None


def kind_of(module: str) -> str:
    """floor, pure, policy, models, selectors, services, notices, views, forms or project."""
    if module in FLOOR:
        return "floor"
    if module in PURE:
        return "pure"
    if module == "cocdesk.access" or app_of(module) == "audit":
        return "policy"
    if module == "cocdesk.notices":
        return "notices"
    parts = module.split(".")
    for kind in ("models", "selectors", "services", "views", "forms"):
        if kind in parts[2:3]:
            return kind
    if app_of(module) == "intake" and parts[2:3] == ["mail"]:
        return "services"  # parsing, storing and the IMAP client are intake's email services
    if "management" in parts or parts[-1] == "urls":
        return "views"  # commands and URL maps are edges, like views
    return "helpers" if app_of(module) else "project"  # an app's own tools: evidence, exports, render…


def is_model_class(module: str, name: str) -> bool:
    value = getattr(importlib.import_module(module), name, None)
    return isinstance(value, type) and issubclass(value, models.Model)


# --- the rules -----------------------------------------------------------------------------------


def violations(graph: Graph, *, model_check=is_model_class) -> list[str]:
    found = []
    for imp in graph.imports:
        reason = _broken_rule(imp, model_check)
        if reason:
            found.append(f"{imp.module}:{imp.line} imports {imp.target}: {reason}")
    found += [f"import cycle: {' -> '.join(cycle)}" for cycle in cycles(graph)]
    return found


def _broken_rule(imp: Import, model_check) -> str:
    source, target = kind_of(imp.module), kind_of(imp.target)
    same_app = app_of(imp.module) is not None and app_of(imp.module) == app_of(imp.target)
    other_models = [
        n for n in imp.names if target == "models" and not same_app and model_check(imp.target, n)
    ]
    if source == "floor" and target != "floor":
        return "the floor imports no app"
    if source == "pure" and target != "floor":
        return "a rules module is pure: it imports only the floor"
    if source == "policy" and target in ("services", "views", "forms", "notices", "project") and not same_app:
        return "access and audit import no app's services or views"
    if source == "models" and target not in ("floor", "models"):
        return "models import only the floor and other models"
    if source == "selectors" and target in ("services", "views", "forms", "notices", "project"):
        return "selectors read: they import no services, views or forms"
    mailer = imp.module == "cocdesk.notices" or app_of(imp.module) == "outbox"
    if imp.target == "cocdesk.outbox.services" and "outbox_enqueue" in imp.names and not mailer:
        return "mail is queued only through cocdesk.notices"
    if source in ("services", "notices") and target in ("views", "forms", "project"):
        return "services import no views or forms"
    if source == "services" and other_models:
        return f"a service writes another app's tables only through its services ({', '.join(other_models)})"
    if source == "views" and app_of(imp.module) is not None and not same_app:
        allowed = target in ("floor", "policy", "selectors", "forms") or imp.target in EDGE
        if target == "models" and not other_models:
            allowed = True  # choices and constants; model classes are read through selectors
        if not allowed:
            return (
                "a view imports its own app, the floor, access, audit and the edge (web), "
                "and other apps' selectors and forms"
            )
    return ""


def cycles(graph: Graph) -> list[list[str]]:
    """Import cycles between modules (Tarjan's strongly connected components)."""
    edges: dict[str, set[str]] = {m: set() for m in graph.modules}
    for imp in graph.imports:
        if imp.target in graph.modules and imp.target != imp.module:
            edges[imp.module].add(imp.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def connect(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            connect(node)
    return found
