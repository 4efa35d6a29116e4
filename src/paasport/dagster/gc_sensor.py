"""`paasport_gc_sensor`: `paasport gc` on an interval, inside the Dagster daemon.

It requests no runs: each tick ends the orphans of the instance's launch records (remote runs
and clusters whose Dagster run ended or whose worker died) and says what it did.
"""

from __future__ import annotations

import dagster as dg

#: how often gc runs: a crashed worker's cluster bills at most about this long after the crash
DEFAULT_INTERVAL_S = 300


def gc_sensor(
    name: str = "paasport_gc_sensor",
    minimum_interval_seconds: int = DEFAULT_INTERVAL_S,
    dry_run: bool = False,
    wait_s: float = 30.0,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """A sensor that runs paasport's gc every `minimum_interval_seconds`."""

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description="Ends remote Spark runs and clusters whose Dagster run is no longer alive.",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SkipReason:
        from paasport.platforms.orphans import collect

        found = collect(context.instance, dry_run=dry_run, wait_s=wait_s)
        for f in found.findings:
            context.log.info(
                f"{f.record.platform} launch of run {f.record.dagster_run_id} ({f.why}): {f.action}"
            )
        verb = "would end" if dry_run else "handled"
        return dg.SkipReason(
            f"paasport gc: {verb} {len(found.findings)} orphaned launch(es); "
            f"{found.alive} alive left alone"
        )

    return _sensor


paasport_gc_sensor = gc_sensor()
