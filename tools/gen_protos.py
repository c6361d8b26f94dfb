"""Generate the Python code of every .proto under protos/ into the `portal` package.

Run by `make protos`; regenerates only when a .proto is newer than the generated
code, so it is cheap to call before every run and test.
"""

from __future__ import annotations

import sys
from pathlib import Path

import google.api
from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
OUT = ROOT  # the generated modules live in ROOT/portal/... (package `portal`)
STAMP = ROOT / "portal" / ".generated"


def _googleapis_include() -> Path:
    # googleapis-common-protos ships the .proto files next to its modules.
    return Path(next(iter(google.api.__path__))).parent.parent


def _grpc_tools_include() -> Path:
    import grpc_tools

    return Path(grpc_tools.__file__).parent / "_proto"


def main() -> int:
    sources = sorted(PROTOS.rglob("*.proto"))
    newest = max(p.stat().st_mtime for p in sources)
    if STAMP.exists() and STAMP.stat().st_mtime >= newest and "--force" not in sys.argv:
        return 0
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"-I{_googleapis_include()}",
        f"-I{_grpc_tools_include()}",
        f"--python_out={OUT}",
        f"--pyi_out={OUT}",
        f"--grpc_python_out={OUT}",
        *(str(p) for p in sources),
    ]
    code = protoc.main(args)
    if code != 0:
        print("protoc failed", file=sys.stderr)
        return code
    STAMP.touch()
    print(f"generated {len(sources)} proto files into portal/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
