"""The bench's pure helpers: when a warm-up is done, and the consumer suites it generates (nothing is measured here)."""

from __future__ import annotations

import ast

from bench.consumer_suites import SUITES, suite_source
from bench.targets import JVM_WARM_UP, NODE_WARM_UP, TARGETS, WarmUp


def test_a_target_without_a_jit_is_warmed_up_by_one_run() -> None:
    policy = WarmUp(2)

    assert not policy.done([])
    assert policy.done([1000.0])


def test_the_jvm_warm_up_goes_on_while_its_throughput_still_rises() -> None:
    assert not JVM_WARM_UP.done([100.0, 200.0])
    assert not JVM_WARM_UP.done([100.0, 200.0, 400.0])
    assert not JVM_WARM_UP.done([100.0, 200.0, 400.0, 390.0])
    assert JVM_WARM_UP.done([100.0, 200.0, 400.0, 390.0, 405.0])


def test_a_warm_up_stops_at_its_most_runs_even_while_rising() -> None:
    rising = [float(2**n) for n in range(JVM_WARM_UP.max_runs)]

    assert JVM_WARM_UP.done(rising)
    assert NODE_WARM_UP.done([1.0, 2.0, 4.0, 8.0])


def test_wiremock_has_the_longest_warm_up_and_no_stateful_scenario() -> None:
    wiremock = TARGETS["wiremock"]

    assert wiremock.warm_up.min_runs * wiremock.warm_up.seconds >= 15
    assert "create_revoke_pair" not in wiremock.scenarios
    assert "create_revoke_pair" not in TARGETS["mockoon"].scenarios


def test_the_three_consumer_suites_have_the_same_tests() -> None:
    names = {}
    for suite in SUITES:
        module = ast.parse(suite_source(suite, tests=7))
        names[suite] = [node.name for node in module.body if isinstance(node, ast.FunctionDef)]

    expected = [f"test_account_{index:04d}" for index in range(7)]
    assert all([name for name in found if name.startswith("test_")] == expected for found in names.values())
