"""Domain events, as the services move them: the outbox relay's throughput to
JetStream, and the latency from a producer's commit to a consumer's handled
commit, on SQLite and (when it answers) PostgreSQL.

    python -m tests.bench.events [--json var/bench/events.json] [--databases sqlite,postgresql]

Each measure gets a fresh nats-server (JetStream, file storage) of its own.

- Relay: N events are committed to an outbox with the runtime's `add_event`,
  then one `OutboxRelay` pass publishes them all and marks them sent; beside it,
  bare nats-py JetStream publishes of the same count (one at a time, and a
  window in flight), so the relay's figure reads as a ratio. Target (issue 13):
  >= 1,000 events/s.
- Latency: a producer process commits events through `Database.transaction` +
  `add_event` at a steady rate (its relay woken by the commit, as in a
  service); a consumer process, with its own database as a service has, runs
  the runtime's `EventConsumer`. The latency of an event is the wall-clock time
  between the end of the producer's commit and the end of the consumer's
  handler transaction (same machine, same clock). Every event must arrive, once.
  Target: p99 <= 200 ms at 100 events/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from deploy.local.natsserver import NatsServer
from deploy.local.suite import ROOT
from portal.ordering.v1 import events_pb2
from portal_runtime.bus import Bus, stream_name
from portal_runtime.consumer import EventConsumer
from portal_runtime.db import Database, add_runtime_tables, outbox_table
from portal_runtime.outbox import OutboxRelay, add_event, new_event
from tests.bench.load import DEFAULT_POSTGRES, postgres_answers, postgres_databases

RELAY_TARGET = 1_000.0  # events/s
P99_TARGET_MS = 200.0
RATE = 100.0  # events/s, the latency measure's steady load
BARE_WINDOW = 100  # publishes in flight in the windowed bare loop
WARMUP = 20  # first events of the latency run, delivered but not counted
EVENT = events_pb2.OrderPaid
DOMAIN = "ordering"

# The bench's own tables beside the runtime's: the state change committed with
# each event (producer) and the handler's write (consumer).
metadata = MetaData()
state_table = Table(
    "bench_state",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("n", Integer, nullable=False),
)
add_runtime_tables(metadata)


async def create_schema(url: str) -> None:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    await db.dispose()


def paid_event(entity: str, n: int) -> events_pb2.OrderPaid:
    return new_event(EVENT, entity_id=entity, order_id=f"o{n}")


async def count_unsent(db: Database) -> int:
    async with db.read() as session:
        query = select(func.count()).where(outbox_table.c.sent_at.is_(None))
        return (await session.execute(query)).scalar_one()


async def connect(nats_url: str, name: str) -> Bus:
    bus = Bus(nats_url, name=name)
    bus.start()
    await asyncio.wait_for(bus.connected.wait(), timeout=30)
    return bus


# ---- relay throughput -----------------------------------------------------------
@dataclass
class Rate:
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


async def relay_throughput(db_url: str, nats_url: str, count: int) -> dict[str, object]:
    await create_schema(db_url)
    db = Database(db_url)
    began = time.perf_counter()
    for start in range(0, count, 500):
        async with db.transaction() as session:
            for n in range(start, min(start + 500, count)):
                await add_event(session, paid_event("relay", n))
    committed = Rate(count, time.perf_counter() - began)
    bus = await connect(nats_url, "bench-relay")
    try:
        await bus.ensure_stream(DOMAIN)
        relay = OutboxRelay(db, bus)
        began = time.perf_counter()
        published = await relay.publish_pending()
        relayed = Rate(published, time.perf_counter() - began)
        unsent = await count_unsent(db)
        stored = (await bus.js.stream_info(stream_name(DOMAIN))).state.messages
        async with db.read() as session:
            rows = (await session.execute(select(outbox_table).limit(1))).all()
        one_by_one, windowed = await bare_publish(bus, rows[0], count)
    finally:
        await bus.close()
        await db.dispose()
    problems = []
    if published != count or unsent or stored != count:
        problems.append(f"published {published}, unsent {unsent}, in the stream {stored}")
    return {
        "events": count,
        "commit_per_s": committed.per_second,
        "relay_per_s": relayed.per_second,
        "relay_seconds": relayed.seconds,
        "bare_one_by_one_per_s": one_by_one.per_second,
        "bare_windowed_per_s": windowed.per_second,
        "problems": problems,
    }


async def bare_publish(bus: Bus, row, count: int) -> tuple[Rate, Rate]:  # type: ignore[no-untyped-def]
    """nats-py alone: the same payload and headers as the relay sends, to a
    stream like the runtime's, one publish at a time then BARE_WINDOW in flight."""
    from nats.js.api import StorageType, StreamConfig

    js = bus.js
    await js.add_stream(
        StreamConfig(
            name="BENCH_BARE",
            subjects=["bench.bare.>"],
            storage=StorageType.FILE,
            duplicate_window=600.0,
        )
    )
    base = json.loads(row.headers)

    async def publish(kind: str, n: int) -> None:
        headers = {**base, "Nats-Msg-Id": f"{kind}-{n}"}
        await js.publish(f"bench.bare.{kind}", row.payload, timeout=5, headers=headers)

    began = time.perf_counter()
    for n in range(count):
        await publish("one", n)
    one = Rate(count, time.perf_counter() - began)
    began = time.perf_counter()
    for start in range(0, count, BARE_WINDOW):
        await asyncio.gather(
            *(publish("window", n) for n in range(start, min(start + BARE_WINDOW, count)))
        )
    return one, Rate(count, time.perf_counter() - began)


# ---- latency: the two processes -------------------------------------------------
async def produce(db_url: str, nats_url: str, rate: float, count: int, out: Path) -> None:
    """The producing service: commits `count` events at `rate` (plus WARMUP
    first), its relay running as ServiceApp runs it."""
    db = Database(db_url)
    bus = await connect(nats_url, "bench-producer")
    await bus.ensure_stream(DOMAIN)
    relay = OutboxRelay(db, bus)
    stop = asyncio.Event()
    relaying = asyncio.create_task(relay.run(stop))
    committed: dict[str, float] = {}
    commit_ms: list[float] = []
    loop = asyncio.get_running_loop()
    start = measured = loop.time()
    cpu = 0.0
    for n in range(WARMUP + count):
        if n == WARMUP:
            cpu, measured = time.process_time(), loop.time()
        await asyncio.sleep(max(0.0, start + n / rate - loop.time()))
        event = paid_event("warmup" if n < WARMUP else "bench", n)
        began = time.perf_counter()
        async with db.transaction() as session:
            await session.execute(insert(state_table).values(id=event.event_id, n=n))
            await add_event(session, event)
        if n >= WARMUP:
            committed[event.event_id] = time.time()
            commit_ms.append((time.perf_counter() - began) * 1000)
    seconds = loop.time() - measured
    cpu = time.process_time() - cpu  # the producer's and its relay's, every thread
    deadline = loop.time() + 60
    while loop.time() < deadline:
        unsent = await count_unsent(db)
        if not unsent:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await relaying
    await bus.close()
    await db.dispose()
    out.write_text(
        json.dumps(
            {
                "committed": committed,
                "commit_ms": commit_ms,
                "seconds": seconds,
                "unsent": unsent,
                "cpu_ms_per_event": cpu * 1000 / count,
            }
        )
    )


async def consume(db_url: str, nats_url: str, expect: int, deadline_s: float, out: Path) -> None:
    """The consuming service: the runtime's EventConsumer; an event counts as
    handled when its handler's transaction (with the inbox row) committed."""
    db = Database(db_url)
    handled: dict[str, float] = {}
    runs: dict[str, int] = {}
    all_in = asyncio.Event()

    async def handler(session, event: events_pb2.OrderPaid) -> None:  # type: ignore[no-untyped-def]
        await session.execute(insert(state_table).values(id=event.event_id, n=1))
        # One transaction may apply several events (a backlog's batch).
        session.info.setdefault("bench_events", []).append((event.event_id, event.entity_id))

    def on_commit(session) -> None:  # type: ignore[no-untyped-def]
        now = time.time()
        for event_id, entity in session.info.pop("bench_events", []):
            if entity == "warmup":
                continue
            handled.setdefault(event_id, now)
            runs[event_id] = runs.get(event_id, 0) + 1
        if len(handled) >= expect:
            all_in.set()

    db.on_commit(on_commit)
    bus = await connect(nats_url, "bench-consumer")
    consumer = EventConsumer(service="bench", db=db, bus=bus, event_type=EVENT, handler=handler)
    stop = asyncio.Event()
    consuming = asyncio.create_task(consumer.run(stop))
    while True:  # ready once the durable consumer exists on the server
        try:
            await bus.js.consumer_info(stream_name(DOMAIN), consumer.durable)
            break
        except Exception:
            await asyncio.sleep(0.05)
    print("READY", flush=True)
    cpu = time.process_time()
    with suppress(TimeoutError):
        await asyncio.wait_for(all_in.wait(), timeout=deadline_s)
    cpu = time.process_time() - cpu
    await asyncio.sleep(0.5)  # a duplicate delivery would show up here
    stop.set()
    consuming.cancel()
    await asyncio.gather(consuming, return_exceptions=True)
    await bus.close()
    await db.dispose()
    per_event = cpu * 1000 / max(1, len(handled))
    out.write_text(json.dumps({"handled": handled, "runs": runs, "cpu_ms_per_event": per_event}))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else 0.0


def latency(
    producer_url: str, consumer_url: str, nats_url: str, seconds: float, work: Path
) -> dict[str, object]:
    asyncio.run(create_schema(producer_url))
    asyncio.run(create_schema(consumer_url))
    count = round(RATE * seconds)
    produced, consumed = work / "produced.json", work / "consumed.json"
    logs = work / "latency.log"
    me = [sys.executable, "-m", "tests.bench.events"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    with open(logs, "ab") as log:
        consumer = subprocess.Popen(
            [*me, "consume", consumer_url, nats_url, str(count), str(seconds + 90), str(consumed)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=log,
            env=env,
        )
        try:
            assert consumer.stdout is not None
            for line in consumer.stdout:  # a profiler around it may print first
                if line.strip() == b"READY":
                    break
            else:
                raise RuntimeError(f"the consumer did not start; see {logs}")
            producer = subprocess.run(
                [*me, "produce", producer_url, nats_url, str(RATE), str(count), str(produced)],
                cwd=ROOT,
                stderr=log,
                env=env,
                check=False,
                timeout=seconds + 120,
            )
            if producer.returncode:
                raise RuntimeError(f"the producer failed; see {logs}")
            consumer.wait(timeout=seconds + 120)
            if consumer.returncode:
                raise RuntimeError(f"the consumer failed; see {logs}")
        finally:
            if consumer.poll() is None:
                consumer.kill()
                consumer.wait()
    sent = json.loads(produced.read_text())
    got = json.loads(consumed.read_text())
    committed, handled = sent["committed"], got["handled"]
    ms = [(handled[i] - t) * 1000 for i, t in committed.items() if i in handled]
    lost = [i for i in committed if i not in handled]
    twice = [i for i, n in got["runs"].items() if n > 1]
    problems = []
    if lost:
        problems.append(f"{len(lost)} lost")
    if twice:
        problems.append(f"{len(twice)} handled twice")
    if sent["unsent"]:
        problems.append(f"{sent['unsent']} never relayed")
    return {
        "rate": RATE,
        "events": len(committed),
        "handled": len(ms),
        "achieved_rate": len(committed) / sent["seconds"],
        "p50_ms": percentile(ms, 50),
        "p99_ms": percentile(ms, 99),
        "max_ms": max(ms, default=0.0),
        "commit_p50_ms": percentile(sent["commit_ms"], 50),
        "producer_cpu_ms_per_event": sent["cpu_ms_per_event"],
        "consumer_cpu_ms_per_event": got["cpu_ms_per_event"],
        "problems": problems,
    }


# ---- one database's run -----------------------------------------------------------
@dataclass
class Report:
    database: str
    relay: dict[str, object] = field(default_factory=dict)
    latency: dict[str, object] = field(default_factory=dict)
    relay_met: bool = False
    latency_met: bool = False
    # The machine's 1-minute load average before and after: the figures of a
    # shared machine read against it.
    load: list[float] = field(default_factory=list)


@contextmanager
def nats_server(work: Path, name: str) -> Iterator[NatsServer]:
    server = NatsServer(work / name, log_file=work / f"{name}.log").start()
    try:
        yield server
    finally:
        server.stop()


def run_database(kind: str, urls: dict[str, str], args: argparse.Namespace, work: Path) -> Report:
    report = Report(kind, load=[os.getloadavg()[0]])
    with nats_server(work, f"{kind}-relay-js") as nats:
        report.relay = asyncio.run(relay_throughput(urls["relay"], nats.url, args.events))
    with nats_server(work, f"{kind}-latency-js") as nats:
        report.latency = latency(
            urls["producer"], urls["consumer"], nats.url, args.seconds, work / kind
        )
    report.load.append(os.getloadavg()[0])
    report.relay_met = report.relay["relay_per_s"] >= RELAY_TARGET and not report.relay["problems"]  # type: ignore[operator]
    report.latency_met = (
        report.latency["p99_ms"] <= P99_TARGET_MS and not report.latency["problems"]  # type: ignore[operator]
    )
    return report


def print_report(r: Report) -> None:
    rel, lat = r.relay, r.latency
    bare_one, bare_win = rel["bare_one_by_one_per_s"], rel["bare_windowed_per_s"]
    relay = rel["relay_per_s"]
    print(f"\n== {r.database}: domain events ==")
    header = f"{'measure':<46} {'figure':>28}  target"
    print(header)
    print("-" * len(header))

    def line(name: str, figure: str, target: str = "") -> None:
        print(f"{name:<46} {figure:>28}  {target}")

    def verdict(met: bool, problems: object) -> str:
        extra = f" ({', '.join(problems)})" if problems else ""  # type: ignore[arg-type]
        return ("met" if met else "NOT met") + extra

    events = f"{rel['events']:,}"
    line(f"bare js.publish, one at a time ({events})", f"{bare_one:,.0f} ev/s")
    line(f"bare js.publish, {BARE_WINDOW} in flight ({events})", f"{bare_win:,.0f} ev/s")
    line(f"commit to the outbox ({events}, 500 a tx)", f"{rel['commit_per_s']:,.0f} ev/s")
    line(
        f"outbox relay -> JetStream ({events})",
        f"{relay:,.0f} ev/s {relay / bare_one:4.0%} {relay / bare_win:4.0%}",
        f">= {RELAY_TARGET:,.0f} ev/s: {verdict(r.relay_met, rel['problems'])}",
    )
    line(
        f"commit -> handled at {lat['rate']:.0f} ev/s ({lat['handled']:,})",
        f"p50 {lat['p50_ms']:.1f} p99 {lat['p99_ms']:.1f} max {lat['max_ms']:.0f} ms",
        f"p99 <= {P99_TARGET_MS:.0f} ms: {verdict(r.latency_met, lat['problems'])}",
    )
    line(
        "CPU per event: producer + relay, consumer",
        f"{lat['producer_cpu_ms_per_event']:.1f} ms, {lat['consumer_cpu_ms_per_event']:.1f} ms",
    )
    print("(relay ratios: to the bare loop one at a time, then windowed)")
    print(f"(machine load average before / after: {r.load[0]:.1f} / {r.load[-1]:.1f})")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] in ("produce", "consume"):
        role, *rest = sys.argv[1:]
        logging.basicConfig(level=logging.WARNING)  # to the run's log file
        if role == "produce":
            db, nats, rate, count, out = rest
            asyncio.run(produce(db, nats, float(rate), int(count), Path(out)))
        else:
            db, nats, expect, deadline, out = rest
            asyncio.run(consume(db, nats, int(expect), float(deadline), Path(out)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench" / "events.json")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--events", type=int, default=20_000, help="relay measure's count")
    parser.add_argument("--seconds", type=float, default=10.0, help="latency measure's length")
    parser.add_argument(
        "--postgres", default=os.environ.get("PORTAL_BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    )
    args = parser.parse_args()
    # The relay's own bus logs its (expected) disconnection when closed.
    logging.basicConfig(level=logging.ERROR)
    result: dict[str, object] = {
        "targets": {"relay_per_s": RELAY_TARGET, "p99_ms": P99_TARGET_MS, "rate": RATE},
        "databases": {},
    }
    roles = ["relay", "producer", "consumer"]
    with tempfile.TemporaryDirectory(prefix="portail-bench-events-") as tmp:
        work = Path(tmp)
        for kind in args.databases.split(","):
            (work / kind).mkdir()
            if kind == "sqlite":
                urls = {role: f"sqlite:///{work / kind / role}.db" for role in roles}
                report = run_database(kind, urls, args, work)
            elif kind == "postgresql":
                if not postgres_answers(args.postgres):
                    print(f"\n== postgresql: no server answers at {args.postgres}; skipped ==")
                    continue
                with postgres_databases(args.postgres, roles) as env:
                    urls = {role: env[f"PORTAL_{role.upper()}_DATABASE_URL"] for role in roles}
                    report = run_database(kind, urls, args, work)
            else:
                raise SystemExit(f"unknown database kind {kind!r}")
            print_report(report)
            result["databases"][kind] = asdict(report)  # type: ignore[index]
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2))
    print(f"\nresults written to {args.json}")


if __name__ == "__main__":
    main()
