"""Helpers shared by the training tests."""

from __future__ import annotations

from netbuilder.train.trainer import Trainer


def run_events(graph, **settings) -> list[dict]:
    """Every event of an in-process run, as dicts (samples off unless asked for)."""
    settings.setdefault("samples", False)
    settings.setdefault("device", "cpu")
    return [e.to_dict() for e in Trainer(graph, settings).run()]


def of_kind(events: list[dict], kind: str) -> list[dict]:
    return [e for e in events if e["event"] == kind]


def assert_finished(events: list[dict]) -> dict:
    failed = of_kind(events, "failed")
    assert not failed, failed[0].get("message") + "\n" + str(failed[0].get("detail"))
    assert events[-1]["event"] == "finished", events[-1]
    return events[-1]
