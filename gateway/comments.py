"""Proto comments for the OpenAPI document.

Generated `_pb2` modules carry no source info, so comments come from a
FileDescriptorSet built with `--include_source_info`: `portal/descriptor_set.pb`
when the build produced one, else compiled here from `protos/` when the source
tree is present. Without either, the document simply has no descriptions.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import descriptor_pb2

log = logging.getLogger(__name__)

Comments = dict[str, str]  # full name (message, field, method, service) -> text

_ROOT = Path(__file__).resolve().parent.parent
# descriptor.proto field numbers used in SourceCodeInfo paths.
_MESSAGE, _ENUM, _SERVICE = 4, 5, 6
_FIELD, _NESTED, _METHOD = 2, 3, 2


def load_comments(root: Path = _ROOT) -> Comments:
    prebuilt = root / "portal" / "descriptor_set.pb"
    try:
        if prebuilt.exists():
            return comments_of(_read_set(prebuilt.read_bytes()))
        if (root / "protos").is_dir():
            return comments_of(_compile(root / "protos"))
    except Exception:  # documentation is optional; never block start-up on it
        log.warning("proto comments unavailable", exc_info=True)
    return {}


def _read_set(data: bytes) -> descriptor_pb2.FileDescriptorSet:
    files = descriptor_pb2.FileDescriptorSet()
    files.ParseFromString(data)
    return files


def _compile(protos: Path) -> descriptor_pb2.FileDescriptorSet:
    import google.api
    import grpc_tools
    from grpc_tools import protoc

    googleapis = Path(next(iter(google.api.__path__))).parent.parent
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    sources = sorted(str(p) for p in protos.rglob("*.proto"))
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "set.pb"
        code = protoc.main(
            [
                "protoc",
                f"-I{protos}",
                f"-I{googleapis}",
                f"-I{well_known}",
                "--include_source_info",
                f"--descriptor_set_out={out}",
                *sources,
            ]
        )
        if code != 0:
            raise RuntimeError(f"protoc exited with {code}")
        return _read_set(out.read_bytes())


def _clean(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines()]
    return "\n".join(lines).strip()


def comments_of(files: descriptor_pb2.FileDescriptorSet) -> Comments:
    found: Comments = {}
    for file in files.file:
        by_path = {
            tuple(loc.path): _clean(loc.leading_comments)
            for loc in file.source_code_info.location
            if loc.leading_comments.strip()
        }
        prefix = file.package
        for i, message in enumerate(file.message_type):
            _walk_message(message, f"{prefix}.{message.name}", (_MESSAGE, i), by_path, found)
        for i, enum in enumerate(file.enum_type):
            _put(found, f"{prefix}.{enum.name}", by_path.get((_ENUM, i)))
        for i, service in enumerate(file.service):
            name = f"{prefix}.{service.name}"
            _put(found, name, by_path.get((_SERVICE, i)))
            for j, method in enumerate(service.method):
                _put(found, f"{name}.{method.name}", by_path.get((_SERVICE, i, _METHOD, j)))
    return found


def _walk_message(
    message: descriptor_pb2.DescriptorProto,
    name: str,
    path: Sequence[int],
    by_path: dict[tuple[int, ...], str],
    found: Comments,
) -> None:
    _put(found, name, by_path.get(tuple(path)))
    for j, field in enumerate(message.field):
        _put(found, f"{name}.{field.name}", by_path.get((*path, _FIELD, j)))
    for k, nested in enumerate(message.nested_type):
        _walk_message(nested, f"{name}.{nested.name}", (*path, _NESTED, k), by_path, found)


def _put(found: Comments, name: str, text: str | None) -> None:
    if text:
        found[name] = text
