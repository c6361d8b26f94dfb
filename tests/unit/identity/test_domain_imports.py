"""Every domain module of every service imports only the standard library and
portal_runtime.errors (DESIGN.md, style rule 1)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
ALLOWED = {"portal_runtime.errors"}


def _domain_modules() -> list[Path]:
    found: list[Path] = []
    for service in sorted((ROOT / "services").iterdir()):
        for candidate in service.glob("domain*"):
            if candidate.is_file() and candidate.suffix == ".py":
                found.append(candidate)
            elif candidate.is_dir():
                found.extend(sorted(candidate.rglob("*.py")))
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


def test_there_are_domain_modules() -> None:
    assert any("identity" in str(p) for p in _domain_modules())


@pytest.mark.parametrize("path", _domain_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_domain_imports_only_stdlib_and_errors(path: Path) -> None:
    bad = [f"{name} (line {line})" for name, line in _imports(path) if not _allowed(name)]
    assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
