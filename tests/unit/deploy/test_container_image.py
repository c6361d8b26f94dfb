"""deploy/Dockerfile and the build context's .dockerignore, read as text (no Docker
engine runs in CI): one image, non-root, generated code built inside it, the web
portal with its templates, static files and catalogues."""

from __future__ import annotations

import re
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


def instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1])
        for line in lines
        if line and not line.startswith("#")
    ]


def test_built_from_python_311_slim() -> None:
    steps = instructions()
    assert ("ARG", "PYTHON_IMAGE=python:3.11-slim") in steps
    assert [arg for op, arg in steps if op == "FROM"] == [
        "${PYTHON_IMAGE} AS build",
        "${PYTHON_IMAGE}",
    ]


def test_installs_the_project_and_generates_the_protos() -> None:
    runs = " ".join(arg for op, arg in instructions() if op == "RUN")
    assert "pip install ." in runs
    assert runs.index("pip install .") < runs.index("python tools/gen_protos.py --force")
    copied = [arg for op, arg in instructions() if op == "COPY"]
    assert "--from=build /app/portal /app/portal" in copied


def test_runs_as_a_numeric_non_root_user() -> None:
    (user,) = [arg for op, arg in instructions() if op == "USER"]
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0
    # The uid the manifests run as (runAsUser).
    assert uid == "10001"


def test_names_no_path_of_a_developer_machine() -> None:
    text = DOCKERFILE.read_text()
    for path in ("/work", "/home", "/root", "/Users", ".venv"):
        assert path not in text, path


def test_build_context_leaves_out_local_state() -> None:
    ignored = {line.strip() for line in DOCKERIGNORE.read_text().splitlines()}
    # portal/ is generated in the image; a stale local copy must never get in.
    assert {".git", ".venv", "var", "portal", "tests"} <= ignored
    # What the image needs stays in.
    needed = ("pyproject.toml", "tools", "protos", "services", "gateway", "portal_runtime", "web")
    for name in needed:
        assert name not in ignored, name


def test_ships_the_web_portal_whole() -> None:
    # `python -m web` renders its templates, serves its static files and compiles
    # its French catalogues at start-up: the whole folder is copied, and the build
    # context leaves out none of its files.
    copied = [arg for op, arg in instructions() if op == "COPY"]
    assert "--from=build /app/web /app/web" in copied
    files = [
        path.relative_to(ROOT).as_posix()
        for path in sorted((ROOT / "web").rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    ]
    for area in ("templates", "static", "locale"):
        assert any(f.startswith(f"web/{area}/") for f in files), f"web/{area} is empty"
    assert "web/locale/fr/LC_MESSAGES/core.po" in files
    patterns = [
        line.strip()
        for line in DOCKERIGNORE.read_text().splitlines()
        if line.strip() and not line.startswith(("#", "!"))
    ]
    for file in files:
        # A pattern excludes a file when it matches the file or a folder above it
        # (fnmatch's `*` also crosses `/`: stricter than Docker, never laxer).
        parts = file.split("/")
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        hits = [
            pattern
            for pattern in patterns
            for candidate in candidates
            if fnmatch(candidate, pattern) or fnmatch(candidate, pattern.removeprefix("**/"))
        ]
        assert not hits, f"{file} is left out of the build context by {hits}"


TEST_DOUBLE_FILES = (
    "deploy/__init__.py",
    "deploy/local/__init__.py",
    "deploy/local/payment_provider.py",
    "deploy/local/provisioning_simulator.py",
)


def test_ships_the_test_doubles_and_nothing_else_of_deploy() -> None:
    # The dev overlay runs `python -m deploy.local.payment_provider` and
    # `python -m deploy.local.provisioning_simulator` from the image.
    copied = [arg for op, arg in instructions() if op == "COPY"]
    from_deploy = [arg for arg in copied if arg.startswith("--from=build /app/deploy")]
    assert sorted(from_deploy) == sorted(
        f"--from=build /app/{path} /app/{path}" for path in TEST_DOUBLE_FILES
    )
    # The build context (and so `pip install .`) leaves out the rest of deploy/local.
    ignored = [line.strip() for line in DOCKERIGNORE.read_text().splitlines()]
    assert "deploy/local/*" in ignored
    kept = {line[1:] for line in ignored if line.startswith("!")}
    assert kept == {path for path in TEST_DOUBLE_FILES if path.startswith("deploy/local/")}
    assert ignored.index("deploy/local/*") < min(ignored.index(f"!{p}") for p in kept)
    assert "deploy" not in ignored and "deploy/__init__.py" not in ignored
    for path in TEST_DOUBLE_FILES:
        assert (ROOT / path).is_file(), path


def test_every_module_the_manifests_run_is_in_the_image() -> None:
    # Each `python -m <module>` of deploy/k8s, as a file the image holds: a
    # package's __main__.py (services, the gateway) or a copied module.
    commands = re.findall(r'command: \["python", "-m", "([\w.]+)"\]', _manifests_text())
    assert "deploy.local.provisioning_simulator" in commands
    copied = set()  # what the final image holds under /app, file or folder
    for op, arg in instructions():
        if op == "COPY" and arg.startswith("--from=build /app/"):
            source, dest = arg.split()[1:]
            copied.add(dest + Path(source).name if dest.endswith("/") else dest)
    for module in set(commands):
        path = "/app/" + module.replace(".", "/")
        assert f"{path}.py" in copied or any(
            path == dest or path.startswith(f"{dest}/") for dest in copied
        ), f"{module} is not copied into the image"


def _manifests_text() -> str:
    return "\n".join(p.read_text() for p in sorted((ROOT / "deploy" / "k8s").rglob("*.yaml")))
