"""make run's supervision: crashed processes restart with a growing backoff; one
that keeps crashing stops the suite."""

from __future__ import annotations

from dataclasses import dataclass, field

from deploy.local.supervisor import CrashPolicy, Supervisor


def test_backoff_doubles_up_to_a_ceiling_then_gives_up() -> None:
    policy = CrashPolicy(first_delay=1, max_delay=5, max_crashes=4, window_seconds=100)
    assert [policy.on_crash("ordering", t) for t in (0, 1, 2, 3)] == [1, 2, 4, 5]
    assert policy.on_crash("ordering", 4) is None
    assert policy.on_crash("billing", 4) == 1  # each process counts its own crashes


def test_crashes_older_than_the_window_are_forgotten() -> None:
    policy = CrashPolicy(first_delay=1, max_crashes=2, window_seconds=10)
    assert policy.on_crash("ordering", 0) == 1
    assert policy.on_crash("ordering", 5) == 2
    assert policy.on_crash("ordering", 12) == 2  # the crash at 0 left the window
    assert policy.on_crash("ordering", 13) is None


@dataclass
class FakeSuite:
    exit_codes: dict[str, int | None]
    now: float = 0.0
    restarted: list[str] = field(default_factory=list)

    def restart(self, name: str) -> None:
        self.restarted.append(name)
        self.exit_codes[name] = None

    def supervisor(self, policy: CrashPolicy) -> Supervisor:
        return Supervisor(
            names=lambda: list(self.exit_codes),
            poll=lambda name: self.exit_codes[name],
            restart=self.restart,
            logs_of=lambda name: f"{name}.log",
            policy=policy,
            clock=lambda: self.now,
        )


def test_a_crashed_process_is_restarted_after_its_delay_and_others_are_left_alone() -> None:
    suite = FakeSuite({"identity": None, "ordering": -9})
    supervisor = suite.supervisor(CrashPolicy(first_delay=2))
    assert supervisor.check() is None
    assert suite.restarted == []  # waits out the backoff first
    suite.now = 1.9
    assert supervisor.check() is None
    assert suite.restarted == []
    suite.now = 2.0
    assert supervisor.check() is None
    assert suite.restarted == ["ordering"]
    suite.now = 3.0
    assert supervisor.check() is None
    assert suite.restarted == ["ordering"]  # running again: not restarted twice


def test_a_process_that_keeps_crashing_stops_the_suite() -> None:
    suite = FakeSuite({"ordering": 1})
    supervisor = suite.supervisor(CrashPolicy(first_delay=1, max_crashes=2))
    verdicts = []
    for tick in range(10):
        suite.now = float(tick * 10)
        verdicts.append(supervisor.check())
        suite.exit_codes["ordering"] = 1  # crashes again at once
    assert "ordering" in verdicts
    assert suite.restarted == ["ordering", "ordering"]
