"""Every domain module of every service imports only the standard library and
the runtime's stdlib-only modules: errors, money, dates, csv_import (DESIGN.md, style rule 1)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Services that hold code (fleet and assets are empty packages until their issues).
SERVICES = sorted(p for p in (ROOT / "services").iterdir() if p.is_dir() and any(p.glob("*/*.py")))
ALLOWED = {
    "portal_runtime.errors",
    "portal_runtime.money",
    "portal_runtime.dates",
    "portal_runtime.csv_import",
}


def _domain_modules() -> list[Path]:
    found: list[Path] = []
    for service in SERVICES:
        found.extend(sorted((service / "domain").rglob("*.py")))
    return found


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: stays inside the domain package
                continue
            names.append((node.module or "", node.lineno))
    return names


def _allowed(name: str) -> bool:
    top = name.split(".")[0]
    return top in sys.stdlib_module_names or top == "__future__" or name in ALLOWED


@pytest.mark.parametrize("service", SERVICES, ids=lambda p: p.name)
def test_every_service_has_a_domain_package(service: Path) -> None:
    """The rules of each service live in its `domain/` package, where this test
    can see them."""
    domain = service / "domain"
    assert (domain / "__init__.py").is_file(), f"{service.name} has no domain/ package"
    assert any(p.name != "__init__.py" for p in domain.glob("*.py"))


@pytest.mark.parametrize("path", _domain_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_only_stdlib_and_errors(path: Path) -> None:
    bad = [f"{name} (line {line})" for name, line in _imports(path) if not _allowed(name)]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("module", sorted(ALLOWED))
def test_runtime_modules_allowed_in_domains_are_stdlib_only(module: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    bad = [f"{name} (line {line})" for name, line in _imports(path) if not _allowed(name)]
    assert not bad, f"{module} imports {bad}"
