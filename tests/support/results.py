"""Reading an in-process Dagster run's outcome in tests: an asset's metadata, or its error."""

from __future__ import annotations

from typing import Any

import dagster as dg


def metadata(result: dg.ExecuteInProcessResult, node: str) -> dict[str, Any]:
    """The first materialization's metadata of `node`, as plain values."""
    meta = result.asset_materializations_for_node(node)[0].metadata
    return {k: getattr(v, "value", v) for k, v in meta.items()}


def error_text(result: dg.ExecuteInProcessResult, node: str) -> str:
    """The error (with its causes) that failed `node`; fails when `node` did not fail."""
    failure = result.failure_data_for_node(node)
    assert failure is not None and failure.error is not None, f"{node} did not fail"
    return failure.error.to_string()
