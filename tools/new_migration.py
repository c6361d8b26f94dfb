"""Autogenerate a migration for a service from its store's metadata.

    python tools/new_migration.py identity "add login counters"

Upgrades a scratch SQLite database to the current head, then compares it with
the service's tables and writes the new revision into services/<name>/migrations.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
from pathlib import Path

from alembic import command

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal_runtime.migrations import alembic_config  # noqa: E402


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    service, message = sys.argv[1], sys.argv[2]
    importlib.import_module(f"services.{service}.store")
    script_location = ROOT / "services" / service / "migrations"
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["PORTAL_MIGRATIONS_URL"] = f"sqlite:///{tmp}/scratch.db"
        cfg = alembic_config(script_location)
        command.upgrade(cfg, "head")
        versions = script_location / "versions"
        rev_id = f"{len(list(versions.glob('*.py'))) + 1:04d}"
        command.revision(cfg, message=message, autogenerate=True, rev_id=rev_id)
    return 0


if __name__ == "__main__":
    sys.exit(main())
