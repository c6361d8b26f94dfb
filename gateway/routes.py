"""Routes derived from the generated descriptors' `google.api.http` annotations.

Every `*_pb2` module under the `portal` package is imported, every service of a
`portal.<domain>.v1` package is read, and each HttpRule (plus its
additional_bindings) becomes a Route. Templates compile to regexes because the
`:verb` suffix after a path variable is not something Starlette's own path
parameters can split.
"""

from __future__ import annotations

import importlib
import logging
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

from google.api import annotations_pb2, http_pb2
from google.protobuf import descriptor_pool
from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from portal.common.v1 import options_pb2
from portal_runtime.policy import policy_of

log = logging.getLogger(__name__)

HTTP_METHODS = ("get", "put", "post", "delete", "patch")
_PACKAGE = re.compile(r"^portal\.([a-z0-9_]+)\.v1$")


@dataclass(frozen=True)
class Route:
    http_method: str  # upper case
    template: str
    regex: re.Pattern[str]
    variables: tuple[str, ...]  # field paths, in the order of the regex groups
    verb: str
    literal_segments: int
    body: str  # "", "*" or a field name
    response_body: str
    domain: str
    service: ServiceDescriptor
    method: MethodDescriptor
    policy: options_pb2.MethodPolicy

    @property
    def grpc_path(self) -> str:
        return f"/{self.service.full_name}/{self.method.name}"

    @property
    def specificity(self) -> tuple[int, int, int]:
        # A verb route beats a bare variable; literals beat variables; fewer
        # variables win ties (`/v1/orders/template.csv` over `/v1/orders/{id}`).
        return (1 if self.verb else 0, self.literal_segments, -len(self.variables))

    def match(self, raw_path: str) -> dict[str, str] | None:
        found = self.regex.fullmatch(raw_path)
        if found is None:
            return None
        return {
            name: unquote(value) for name, value in zip(self.variables, found.groups(), strict=True)
        }


def _segment_regex(segment: str) -> str:
    if segment == "**":
        return ".+"
    if segment == "*":
        return "[^/]+"
    return re.escape(segment)


def compile_template(template: str) -> tuple[re.Pattern[str], tuple[str, ...], str, int]:
    """`/v1/users/{id}:verb` -> (regex, ("id",), "verb", literal segment count)."""
    if not template.startswith("/"):
        raise ValueError(f"template must start with '/': {template!r}")
    # Split off the verb: a ':' after the last '/' that is outside braces.
    depth, verb_at = 0, -1
    for i, char in enumerate(template):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif char == "/" and depth == 0:
            verb_at = -1
        elif char == ":" and depth == 0:
            verb_at = i
    path, verb = (template[:verb_at], template[verb_at + 1 :]) if verb_at >= 0 else (template, "")
    parts: list[str] = []
    variables: list[str] = []
    literals = 0
    for segment in _split_segments(path[1:]):
        if segment.startswith("{") and segment.endswith("}"):
            name, _, sub = segment[1:-1].partition("=")
            # A bare `{id}` never swallows a ':' so `/v1/orders/1:cancel` is not
            # read as the id "1:cancel" by `GET /v1/orders/{id}` (405, not a lookup).
            inner = "/".join(_segment_regex(s) for s in sub.split("/")) if sub else "[^/:]+"
            parts.append(f"({inner})")
            variables.append(name.strip())
        else:
            if segment not in ("*", "**"):
                literals += 1
            parts.append(_segment_regex(segment))
    pattern = "/" + "/".join(parts) + (":" + re.escape(verb) if verb else "")
    return re.compile(pattern), tuple(variables), verb, literals


def _split_segments(path: str) -> list[str]:
    # '/' inside `{name=a/*}` does not separate segments.
    segments, current, depth = [], "", 0
    for char in path:
        if char == "/" and depth == 0:
            segments.append(current)
            current = ""
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        current += char
    segments.append(current)
    return segments


def import_generated_modules(package_dir: Path | None = None) -> list[str]:
    """Imports every `*_pb2` module of the `portal` package so its descriptors
    (and their HTTP rules) are known; returns the module names."""
    if package_dir is None:
        import portal

        package_dir = Path(next(iter(portal.__path__)))
    names = []
    for file in sorted(package_dir.rglob("*_pb2.py")):
        relative = file.relative_to(package_dir.parent).with_suffix("")
        name = ".".join(relative.parts)
        importlib.import_module(name)
        names.append(name)
    return names


def _rule_bindings(rule: http_pb2.HttpRule) -> list[http_pb2.HttpRule]:
    return [rule, *rule.additional_bindings]


def routes_of_service(service: ServiceDescriptor, domain: str) -> list[Route]:
    routes = []
    for method in service.methods:
        options = method.GetOptions()
        if not options.HasExtension(annotations_pb2.http):
            continue
        top = options.Extensions[annotations_pb2.http]
        for rule in _rule_bindings(top):
            kind = rule.WhichOneof("pattern")
            if kind is None or kind == "custom":
                template = rule.custom.path if kind == "custom" else ""
                http_method = rule.custom.kind.upper() if kind == "custom" else ""
                if not template:
                    continue
            else:
                template, http_method = getattr(rule, kind), kind.upper()
            regex, variables, verb, literals = compile_template(template)
            routes.append(
                Route(
                    http_method=http_method,
                    template=template,
                    regex=regex,
                    variables=variables,
                    verb=verb,
                    literal_segments=literals,
                    body=rule.body,
                    response_body=rule.response_body,
                    domain=domain,
                    service=service,
                    method=method,
                    policy=policy_of(method),
                )
            )
    return routes


def discover_routes(package_dir: Path | None = None) -> list[Route]:
    """Every HTTP route declared by a `portal.<domain>.v1` service."""
    import_generated_modules(package_dir)
    pool = descriptor_pool.Default()
    routes: list[Route] = []
    seen: set[str] = set()
    for module in list(sys.modules.values()):
        file = getattr(module, "DESCRIPTOR", None)
        if not module.__name__.startswith("portal.") or file is None:
            continue
        if not hasattr(file, "services_by_name"):
            continue
        found = _PACKAGE.match(file.package)
        if found is None:
            continue
        for service in file.services_by_name.values():
            if service.full_name in seen:
                continue
            seen.add(service.full_name)
            routes.extend(routes_of_service(pool.FindServiceByName(service.full_name), found[1]))
    log.debug("discovered %d HTTP routes", len(routes))
    return routes


@dataclass(frozen=True)
class Match:
    route: Route
    variables: dict[str, str]


class Router:
    """Finds the route of a (method, raw path); tells 404 from 405."""

    def __init__(self, routes: list[Route]) -> None:
        self.routes = sorted(routes, key=lambda r: r.specificity, reverse=True)
        self._check_conflicts()
        # Routes by their first two path segments (`/v1/orders`), each list in
        # specificity order with the routes whose prefix has a variable merged
        # in: a request tries a handful of patterns, not all of them.
        keyed: dict[str, list[Route]] = {}
        self._open: list[Route] = []
        for route in self.routes:
            key = _prefix_key(route.template)
            if key is None or "{" in key:
                self._open.append(route)
            else:
                keyed.setdefault(key, []).append(route)
        rank = {id(route): i for i, route in enumerate(self.routes)}
        self._by_prefix = {
            key: sorted([*found, *self._open], key=lambda r: rank[id(r)])
            for key, found in keyed.items()
        }

    def _check_conflicts(self) -> None:
        seen: dict[tuple[str, str], str] = {}
        for route in self.routes:
            key = (route.http_method, route.regex.pattern)
            if key in seen:
                raise ValueError(
                    f"{route.http_method} {route.template} declared by both "
                    f"{seen[key]} and {route.grpc_path}"
                )
            seen[key] = route.grpc_path

    def resolve(self, http_method: str, raw_path: str) -> Match | list[str]:
        """The matching route, or the methods allowed on that path (empty: 404)."""
        allowed: list[str] = []
        for route in self._by_prefix.get(_prefix_key(raw_path) or "", self._open):
            variables = route.match(raw_path)
            if variables is None:
                continue
            if route.http_method == http_method:
                return Match(route, variables)
            if route.http_method not in allowed:
                allowed.append(route.http_method)
        return allowed


def _prefix_key(path: str) -> str | None:
    """`/v1/orders/{id}:submit` -> `/v1/orders`; the same for a request's path.
    None when the path has fewer than two segments."""
    parts = path.split("/", 3)
    if len(parts) < 3:
        return None
    return f"/{parts[1]}/{parts[2].split(':', 1)[0]}"
