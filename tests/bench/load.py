"""Throughput and latency of the calls customers make most, side by side with a
bare grpc.aio unary call measured in the same run, on SQLite and (when it
answers) PostgreSQL.

    python -m tests.bench.load [--seconds 5] [--json var/bench/load.json]

The suite runs as `make run` runs it (one process per service, the gateway);
the load comes from outside those processes: wrk for HTTP, a grpc.aio client in
this process for gRPC. Each call is measured at 50 concurrent clients (rps,
p50, p99, ratio to the bare call) and at one client (p50), and checked against
issue 13's targets: reads >= 50 % of the bare call's rps with p50 <= 2 ms at
one client, the write >= 25 %.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from pathlib import Path

import grpc
import psycopg
from grpc_health.v1 import health_pb2
from sqlalchemy import make_url

from deploy.local.natsserver import free_port, wait_for_port
from deploy.local.suite import ROOT, Suite
from tests.support.api import Api, bearer, csv_file

OPERATOR_EMAIL = "bench-ops@portail.test"
OPERATOR_PASSWORD = "Bench-Operator-Pass-1"
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
CLIENTS = 50
READ_TARGET = 0.50
WRITE_TARGET = 0.25
ONE_CLIENT_P50_MS = 2.0
BARE = "bare grpc.aio unary (health Check)"
SEEDED = 20  # documents, machines and quotes the customer has (a page's worth)

# wrk runs this: each thread its own prefix (POSTs need unique employee numbers),
# and the figures come back as one JSON line.
WRK_SCRIPT = r"""
local threads = {}
local counter = 0
-- setup() runs in the main state; thread:set() gives each thread's state a
-- global `thread_id` (a local of the same name would hide it).
function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end
function request()
  if os.getenv("BENCH_BODY") then
    counter = counter + 1
    local number = string.format("%s-%s-%d", os.getenv("BENCH_RUN"), thread_id, counter)
    return wrk.format("POST", nil, nil, string.format(os.getenv("BENCH_BODY"), number))
  end
  return wrk.format(nil, nil)
end
if os.getenv("BENCH_BODY") then
  -- The write: keep the first refusal's body to say why (reads stay unparsed).
  function response(status, headers, body)
    if status >= 300 and not first_error then
      first_error = string.format("%d %s", status, string.sub(body or "", 1, 300))
    end
  end
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local seen = thread:get("first_error")
    if seen then io.write("\nFIRST_ERROR " .. seen .. "\n") end
  end
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout
  io.write(string.format(
    '\nBENCH {"requests": %d, "duration_us": %d, "errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, bad, latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass
class Figure:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    requests: int = 0
    # CPU milliseconds per request spent by each process during the run (the
    # load generator under "load"): what explains a ratio, measured in the run.
    cpu_ms: dict[str, float] = field(default_factory=dict)


@dataclass
class Result:
    call: str
    kind: str  # "baseline", "read", "write", "gateway"
    many: Figure  # at CLIENTS concurrent clients
    one: Figure  # at one client
    ratio: float = 0.0
    target: str = ""
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    # What the target allows on this machine: CPU ms per request, all processes
    # (load generator included), at the target's throughput on every core.
    budget_ms: float = 0.0


# ---- CPU per request -----------------------------------------------------------
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a live process, all its threads."""
    # The command name in field 2 may hold spaces: count fields after its ")".
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def own_and_children_cpu() -> float:
    """This process's CPU (the grpc load client) plus its waited children's (wrk)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def postgres_cpu() -> float:
    """CPU seconds of this machine's PostgreSQL server processes (its backends
    do the services' queries; a backend that ends meanwhile is not counted)."""
    total = 0.0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if (proc / "comm").read_text().strip() == "postgres":
                total += process_cpu(int(proc.name))
        except OSError:  # ended while read
            continue
    return total


def metered(pids: dict[str, int], run: Callable[[], Figure]) -> Figure:
    """Runs one load and charges each process's CPU to the requests it served."""
    before = {name: process_cpu(pid) for name, pid in pids.items()}
    load_before = own_and_children_cpu()
    server_before = postgres_cpu()
    figure = run()
    spent = {name: process_cpu(pid) - before[name] for name, pid in pids.items()}
    spent["load"] = own_and_children_cpu() - load_before
    spent["postgresql"] = postgres_cpu() - server_before
    if figure.requests:
        # Below a clock tick per thousand requests is noise (idle services' timers).
        figure.cpu_ms = {
            name: round(seconds * 1000 / figure.requests, 3)
            for name, seconds in sorted(spent.items(), key=lambda kv: -kv[1])
            if seconds * 1000 / figure.requests >= 0.01
        }
    return figure


# ---- load generators ----------------------------------------------------------
def wrk(
    url: str,
    *,
    clients: int,
    seconds: float,
    token: str = "",
    body: str = "",
    script_dir: Path,
) -> Figure:
    script = script_dir / "bench.lua"
    if not script.exists():
        script.write_text(WRK_SCRIPT)
    env = {**os.environ, "BENCH_RUN": uuid.uuid4().hex[:8]}
    duration = f"{max(1, round(seconds))}s"
    args = ["wrk", "-t", str(min(2, clients)), "-c", str(clients), "-d", duration]
    args += ["--timeout", "10s", "-s", str(script)]
    if token:
        args += ["-H", f"Authorization: Bearer {token}"]
    if body:
        env["BENCH_BODY"] = body
        args += ["-H", "Content-Type: application/json"]
    done = subprocess.run([*args, url], capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise RuntimeError(f"wrk failed: {done.stderr or done.stdout}")
    out = done.stdout
    for refusal in (x for x in out.splitlines() if x.startswith("FIRST_ERROR ")):
        print(f"  {url}: {refusal}", file=sys.stderr)
    line = next(x for x in out.splitlines() if x.startswith("BENCH "))
    data = json.loads(line[len("BENCH ") :])
    return Figure(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        errors=data["errors"],
        requests=data["requests"],
    )


async def _grpc_load(
    addr: str, method: str, request: bytes, token: str, clients: int, seconds: float
) -> Figure:
    latencies: list[float] = []
    errors = 0
    metadata = (("authorization", f"Bearer {token}"),) if token else None
    async with grpc.aio.insecure_channel(addr) as channel:
        call = channel.unary_unary(method)
        await call(request, metadata=metadata)  # connected and warm
        deadline = time.perf_counter() + seconds

        async def client() -> None:
            nonlocal errors
            while (started := time.perf_counter()) < deadline:
                try:
                    await call(request, metadata=metadata, timeout=10)
                except grpc.aio.AioRpcError:
                    errors += 1
                latencies.append(time.perf_counter() - started)

        began = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - began
    latencies.sort()
    return Figure(
        rps=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies) * 1000,
        p99_ms=latencies[int(len(latencies) * 0.99) - 1] * 1000,
        errors=errors,
        requests=len(latencies),
    )


def grpc_load(
    addr: str, method: str, request: bytes, *, token: str = "", clients: int, seconds: float
) -> Figure:
    return asyncio.run(_grpc_load(addr, method, request, token, clients, seconds))


# ---- the measured processes ---------------------------------------------------
@contextmanager
def bare_grpc_server(logs: Path) -> Iterator[tuple[str, int]]:
    port = free_port()
    with open(logs / "bare-grpc.log", "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.bare_grpc", f"127.0.0.1:{port}"],
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_port(port, timeout=30)
        yield f"127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


@contextmanager
def postgres_databases(admin_url: str, services: list[str]) -> Iterator[dict[str, str]]:
    admin = make_url(admin_url)
    names = {name: f"bench_{name}_{uuid.uuid4().hex[:8]}" for name in services}
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for db in names.values():
            conn.execute(f'CREATE DATABASE "{db}"')
    try:
        yield {
            f"PORTAL_{name.upper()}_DATABASE_URL": admin.set(database=db).render_as_string(
                hide_password=False
            )
            for name, db in names.items()
        }
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            for db in names.values():
                conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


# ---- data the reads find ------------------------------------------------------
def seed(api: Api) -> dict[str, str]:
    """A customer with beneficiaries, a few orders and fleet lines; its
    manager's access token and what the routes need."""
    from tests.support.fleet import import_lines, load_catalogue, numbered_rows
    from tests.support.orders import submitted_order, wait_for

    account = api.new_account()
    token = api.activate(account, "Bench-Manager-Pass-1")["accessToken"]
    answer = api.post(
        "/v1/delivery-points",
        {
            "name": "HQ",
            "code": "HQ",
            "address": {
                "line1": "1 rue A",
                "postalCode": "75001",
                "city": "Paris",
                "country": "FR",
            },
        },
        token,
    )
    assert answer.status_code == 201, answer.text
    for order in range(3):
        rows = [
            [
                f"E{order}{i:04d}",
                "Martin",
                "Jeanne",
                f"e{order}{i}@example.com",
                "1990-01-02",
                "HQ",
                "oui",
                "30",
            ]
            for i in range(40)
        ]
        answer = api.http.post(
            "/v1/orders:import",
            content=csv_file(rows),
            headers={**bearer(token), "Content-Type": "text/csv"},
            timeout=60,
        )
        assert answer.status_code == 201, answer.text[:500]
    load_catalogue(api)
    import_lines(api, account["id"], numbered_rows(0, 40, options="DATA 5GB"))
    # Every list read below answers a page of records, not an empty one.
    for _ in range(SEEDED):
        submitted_order(api, token, "TRANSFER", loads=(2_000,), new_cards=False)
    wait_for(
        lambda: len(api.get("/v1/documents", token).json()["documents"]) >= SEEDED,
        timeout=60,
        what="the orders' invoices",
    )
    seed_equipment(api, account["id"])
    for n in range(SEEDED):
        answer = api.post(
            "/v1/admin/quotes",
            {
                "entityId": account["id"],
                "title": f"Révision annuelle {n}",
                "lines": [
                    {
                        "label": "Main d'oeuvre",
                        "quantity": 2,
                        "unitPriceExclTax": {"amountCents": 6_500 + n, "currency": "EUR"},
                        "vatRateBp": 2000,
                    }
                ],
                "validUntil": (date.today() + timedelta(days=30)).isoformat(),
            },
            api.operator,
        )
        assert answer.status_code == 201, answer.text
    return {"token": token, "entity": account["id"]}


def seed_equipment(api: Api, entity_id: str) -> None:
    """One model and SEEDED machines of the customer's park."""
    model = {
        "brand": "Kärcher",
        "name": "HDS 8/18",
        "parts": [{"code": "6.414", "label": "Filtre"}],
    }
    answer = api.http.put(
        "/v1/admin/equipment-models/KAR-HDS", json=model, headers=bearer(api.operator)
    )
    assert answer.status_code == 200, answer.text
    header = "Modèle;Référence;Nom;Site;Adresse;Code postal;Ville;Mise en service;Contrat;Statut"
    rows = [
        f"KAR-HDS;HDS-{n:04d};Nettoyeur {n};Atelier;1 rue des Forges;69001;Lyon;2024-05-02;CT-77;"
        for n in range(SEEDED)
    ]
    answer = api.http.post(
        "/v1/admin/equipment:import",
        params={"entityId": entity_id},
        content=("\r\n".join([header, *rows]) + "\r\n").encode(),
        headers={**bearer(api.operator), "Content-Type": "text/csv"},
    )
    assert answer.status_code == 200, answer.text


# ---- one database's run -------------------------------------------------------
READS = [
    ("gateway GET /v1/me", "/v1/me"),
    ("gateway GET /v1/orders", "/v1/orders"),
    ("gateway GET /v1/documents", "/v1/documents"),
    ("gateway GET /v1/beneficiaries?q=", "/v1/beneficiaries?q=mart"),
    ("gateway GET /v1/fleet/lines", "/v1/fleet/lines"),
    ("gateway GET /v1/equipment", "/v1/equipment"),
    ("gateway GET /v1/quotes", "/v1/quotes"),
]
WRITE_BODY = (
    '{"employeeNumber": "%s", "firstName": "Jeanne", "lastName": "Martin",'
    ' "email": "jeanne@example.com", "birthDate": "1990-01-02"}'
)


def run_database(kind: str, env: dict[str, str], seconds: float, work: Path) -> list[Result]:
    var_dir = work / kind
    suite_env = {
        "PORTAL_BOOTSTRAP_OPERATOR_EMAIL": OPERATOR_EMAIL,
        "PORTAL_BOOTSTRAP_OPERATOR_PASSWORD": OPERATOR_PASSWORD,
        "PORTAL_GATEWAY_AUTH_RATE_LIMIT": "1000000/minute",
        "PORTAL_LOG_LEVEL": "WARNING",
        **env,
    }
    suite = Suite(var_dir, env=suite_env, random_ports=True).start(timeout=120)
    results: list[Result] = []
    try:
        api = Api(suite.gateway_url, OPERATOR_EMAIL, OPERATOR_PASSWORD)
        data = seed(api)
        token = data["token"]
        gw = suite.gateway_url

        pids = {name: proc.pid for name, proc in suite.procs.items()}
        if suite.nats is not None and suite.nats.proc is not None:
            pids["nats"] = suite.nats.proc.pid

        def both(measure, watched=pids) -> tuple[Figure, Figure]:  # type: ignore[no-untyped-def]
            one = metered(watched, lambda: measure(1, min(seconds, 3)))
            many = metered(watched, lambda: measure(CLIENTS, seconds))
            return many, one

        with bare_grpc_server(suite.logs_dir) as (addr, bare_pid):
            check = health_pb2.HealthCheckRequest().SerializeToString()
            many, one = both(
                lambda c, s: grpc_load(
                    addr, "/grpc.health.v1.Health/Check", check, clients=c, seconds=s
                ),
                {"bare server": bare_pid},
            )
            results.append(Result(BARE, "baseline", many, one))
        many, one = both(lambda c, s: wrk(f"{gw}/healthz", clients=c, seconds=s, script_dir=work))
        results.append(Result("gateway GET /healthz (no backend)", "gateway", many, one))
        identity = suite.env["PORTAL_IDENTITY_ADDR"]
        get_me = b""  # GetMeRequest has no fields
        many, one = both(
            lambda c, s: grpc_load(
                identity,
                "/portal.identity.v1.IdentityService/GetMe",
                get_me,
                token=token,
                clients=c,
                seconds=s,
            )
        )
        results.append(Result("identity GetMe over gRPC", "read", many, one))
        for name, path in READS:
            many, one = both(
                lambda c, s, path=path: wrk(
                    f"{gw}{path}", clients=c, seconds=s, token=token, script_dir=work
                )
            )
            results.append(Result(name, "read", many, one))
        many, one = both(
            lambda c, s: wrk(
                f"{gw}/v1/beneficiaries",
                clients=c,
                seconds=s,
                token=token,
                body=WRITE_BODY,
                script_dir=work,
            )
        )
        results.append(Result("gateway POST /v1/beneficiaries", "write", many, one))
        api.close()
    finally:
        suite.stop()
    judge(results)
    return results


def cores() -> int:
    return len(os.sched_getaffinity(0))


def judge(results: list[Result]) -> None:
    base = results[0].many.rps
    for r in results:
        r.ratio = r.many.rps / base if base else 0.0
        if r.many.errors or r.one.errors:
            r.notes.append(f"{r.many.errors + r.one.errors} errors")
        if r.kind == "read":
            r.target = f">= {READ_TARGET:.0%}, p50@1 <= {ONE_CLIENT_P50_MS} ms"
            r.met = r.ratio >= READ_TARGET and r.one.p50_ms <= ONE_CLIENT_P50_MS and not r.notes
            r.budget_ms = cores() * 1000 / (READ_TARGET * base) if base else 0.0
        elif r.kind == "write":
            r.target = f">= {WRITE_TARGET:.0%}"
            r.met = r.ratio >= WRITE_TARGET and not r.notes
            r.budget_ms = cores() * 1000 / (WRITE_TARGET * base) if base else 0.0


def cpu_line(figure: Figure) -> str:
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in figure.cpu_ms.items())
    return f"{sum(figure.cpu_ms.values()):.2f} ({parts})"


def print_table(kind: str, results: list[Result]) -> None:
    print(f"\n== {kind}: {CLIENTS} clients (rps, p50, p99), one client (p50) ==")
    header = f"{'call':<40} {'rps':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'p50@1':>7}"
    header += "  target"
    print(header)
    print("-" * len(header))
    for r in results:
        verdict = "" if r.met is None else ("met" if r.met else "NOT met")
        target = f"{r.target}: {verdict}" if r.target else ""
        notes = f" ({', '.join(r.notes)})" if r.notes else ""
        print(
            f"{r.call:<40} {r.many.rps:8,.0f} {r.many.p50_ms:8.1f} {r.many.p99_ms:8.1f}"
            f" {r.ratio:6.0%} {r.one.p50_ms:7.2f}  {target}{notes}"
        )
    # Why a ratio is what it is: when the load keeps every core busy,
    # throughput is cores / CPU per request, so the CPU each process spends
    # per request (load generator included) explains the ratio; its ceiling is
    # the ratio reached with the cores fully busy at that cost.
    bare_rps = results[0].many.rps
    print(f"\n-- {kind}: CPU ms per request at {CLIENTS} clients ({cores()} cores) --")
    for r in results:
        spent = sum(r.many.cpu_ms.values())
        ceiling = cores() * 1000 / spent / bare_rps if spent and bare_rps else 0.0
        print(f"{r.call:<40} {cpu_line(r.many)}; CPU-bound ceiling {ceiling:.0%}")
        if r.met is False and r.budget_ms and spent:
            busy = spent * r.many.rps / 1000 / cores()
            print(
                f"{'':<40} NOT met: the target allows {r.budget_ms:.2f} ms per request,"
                f" this spends {spent / r.budget_ms:.1f}x that;"
                f" the measured processes kept the cores {busy:.0%} busy"
            )
        if r.kind == "read" and r.one.p50_ms > ONE_CLIENT_P50_MS and r.one.cpu_ms:
            # One client: the hops run one after the other, so the latency is
            # about the CPU one request costs along the path.
            print(f"{'':<40} p50@1 {r.one.p50_ms:.2f} ms; at one client: {cpu_line(r.one)}")
    gateway_reads = [r for r in results if r.kind == "read" and r.call.startswith("gateway")]
    if gateway_reads and bare_rps:
        cheapest = min(gateway_reads, key=lambda r: sum(r.many.cpu_ms.values()))
        spent = sum(cheapest.many.cpu_ms.values())
        bare = sum(results[0].many.cpu_ms.values())
        print(
            f"\nThe cheapest read through the gateway ({cheapest.call.removeprefix('gateway ')})"
            f" spends {spent:.2f} ms of CPU per request, {spent / bare:.1f}x the bare call's"
            f" {bare:.2f} (server and client): on {cores()} cores no read through the gateway"
            f" can pass {cores() * 1000 / spent / bare_rps:.0%} of the bare call's throughput"
            " until that cost falls."
        )


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    raise SystemExit("wrk is missing: `apt-get install -y wrk` (make bench does it)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench" / "load.json")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--postgres", default=os.environ.get("PORTAL_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    ensure_wrk()
    report: dict[str, object] = {"clients": CLIENTS, "seconds": args.seconds, "databases": {}}
    with tempfile.TemporaryDirectory(prefix="portail-bench-") as tmp:
        work = Path(tmp)
        for kind in args.databases.split(","):
            if kind == "sqlite":
                results = run_database(kind, {}, args.seconds, work)
            elif kind == "postgresql":
                if not postgres_answers(args.postgres):
                    print(f"\n== postgresql: no server answers at {args.postgres}; skipped ==")
                    continue
                from deploy.local.suite import SERVICES

                with postgres_databases(args.postgres, SERVICES) as env:
                    results = run_database(kind, env, args.seconds, work)
            else:
                raise SystemExit(f"unknown database kind {kind!r}")
            print_table(kind, results)
            report["databases"][kind] = [asdict(r) for r in results]  # type: ignore[index]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2))
    print(f"\nresults written to {args.json}")


if __name__ == "__main__":
    main()
