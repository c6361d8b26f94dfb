#!/usr/bin/env bash
# buf lint, offline: the googleapis protos come from the installed
# googleapis-common-protos package instead of the BSR.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
google="$("$root/.venv/bin/python" -c 'import google.api, pathlib; print(pathlib.Path(next(iter(google.api.__path__))).parent)')"
mkdir -p "$work/portail" "$work/third_party/google"
cp -r "$root/protos/portal" "$work/portail/"
cp -r "$google/api" "$google/rpc" "$work/third_party/google/"
find "$work/third_party" -type f ! -name '*.proto' -delete
cat > "$work/buf.yaml" <<YAML
version: v2
modules:
  - path: portail
  - path: third_party
$(sed -n '/^lint:/,$p' "$root/protos/buf.yaml")
YAML
cd "$work"
npx --yes @bufbuild/buf lint portail 2>&1 | grep -v "^npm warn" || true
npx --yes @bufbuild/buf lint portail >/dev/null 2>&1
