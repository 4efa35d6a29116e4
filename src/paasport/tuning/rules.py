"""Settings changes that need no search: from the diagnostics findings and from settings
that are plainly wrong whatever the findings say.

Each change carries one reason, which is what a user reads in the trial's "why". Rules
are deliberately conservative: they fire only when the setting is far off, so a well-tuned
asset gets no proposal and tuning moves on to the (bounded) search.

Judgment calls:
- shuffle partitions: with shuffle bytes recorded, aim at 128 MiB per partition, at least
  2 per core (Spark's tuning guide: 2-3 tasks per core), rounded up to a multiple of the
  cores; change only when more than 4x off. Without the bytes, more than 50 per core is
  clearly too many (each task has a fixed cost): 3 per core; fewer than the cores leaves
  cores idle: 2 per core.
- broadcast: only with a failed spark_broadcast finding (a -1 threshold alone may be a
  deliberate guard against driver OOMs); the threshold becomes the next power of two
  above 1.25x the missed small side, at least Spark's default 10m.
- spark_skew needs AQE, covered by the AQE rule; spark_driver_time and spark_small_files
  have no TUNABLE fix (code or data changes), so they propose nothing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from paasport.tuning.run import TuningRun
from paasport.tuning.space import TUNABLE, MiB, clamp, to_spark, value_of
from paasport.units import human_bytes

PARTITION_BYTES = 128 * MiB
SHUFFLE = "spark.sql.shuffle.partitions"
MAX_PARTITION = "spark.sql.files.maxPartitionBytes"
BROADCAST = "spark.sql.autoBroadcastJoinThreshold"
AQE = "spark.sql.adaptive.enabled"
COALESCE = "spark.sql.adaptive.coalescePartitions.enabled"
INSTANCES = "spark.executor.instances"


def _round_up(n: int, step: int) -> int:
    return max(step, math.ceil(n / step) * step)


def _aqe(cur: Mapping[str, str], out: dict[str, str], why: list[str]) -> None:
    for key in (AQE, COALESCE):
        if value_of(key, cur) is False:
            out[key] = "true"
            why.append(f"{key}=true: adaptive query execution coalesces and splits partitions")


def _shuffle(run: TuningRun, cur: Mapping[str, str], cores: int) -> tuple[int, str] | None:
    now = value_of(SHUFFLE, cur)
    if not isinstance(now, int) or isinstance(now, bool):
        return None
    for check in ("spark_spill", "spark_partitions"):
        f = run.finding(check)
        want = f["evidence"].get("suggested_partitions") if f else None
        if f and isinstance(want, int) and SHUFFLE in f["advice"] and want != now:
            return want, f"{check} failed: {f['advice']}"
    if run.shuffle_bytes:
        want = max(2 * cores, _round_up(math.ceil(run.shuffle_bytes / PARTITION_BYTES), cores))
        if want > 4 * now or 4 * want < now:
            shuffled = human_bytes(run.shuffle_bytes)
            return want, (f"{shuffled} shuffled over {now} partitions: {want} partitions of at "
                          f"most 128 MiB each, at least 2 per core")  # fmt: skip
        return None
    if SHUFFLE in cur and now > 50 * cores:
        return 3 * cores, f"{now} partitions for {cores} cores: 3 per core"
    if SHUFFLE in cur and now < cores:
        return 2 * cores, f"{now} partitions leave some of {cores} cores idle: 2 per core"
    return None


def _broadcast(run: TuningRun, cur: Mapping[str, str]) -> tuple[int, str] | None:
    f = run.finding("spark_broadcast")
    if not f:
        return None
    small = f["evidence"].get("small_side_bytes")
    now = value_of(BROADCAST, cur)
    want = 10 * MiB
    if isinstance(small, int | float) and not isinstance(small, bool) and small > 0:
        want = max(want, 2 ** math.ceil(math.log2(small * 1.25)))
    want = clamp(BROADCAST, int(want))
    if isinstance(now, int) and (now < 0 or now < want):
        side = f"a {human_bytes(small)} side" if isinstance(small, int | float) else "a small side"
        return want, f"spark_broadcast failed: {side} of a join was shuffled, not broadcast"
    return None


def _memory(run: TuningRun, cur: Mapping[str, str]) -> tuple[str, int, str] | None:
    fired = [c for c in ("spark_spill", "spark_gc") if run.finding(c)]
    if not fired:
        return None
    advice = " ".join(str((run.finding(c) or {}).get("advice", "")) for c in fired)
    driver = "spark.driver.memory=" in advice or (
        "spark.driver.memory" in cur and "spark.executor.memory" not in cur
    )
    key = "spark.driver.memory" if driver else "spark.executor.memory"
    now = value_of(key, cur)
    if not isinstance(now, int) or isinstance(now, bool):
        return None
    want = clamp(key, 2 * now)
    if want <= now:
        return None
    return key, want, f"{' and '.join(fired)} failed: twice the memory for {key}"


def _instances(run: TuningRun, cur: Mapping[str, str]) -> tuple[int, str] | None:
    f = run.finding("spark_idle_cores")
    want = f["evidence"].get("suggested_executors") if f else None
    if not f or not isinstance(want, int) or isinstance(want, bool) or want < 1:
        return None
    now = value_of(INSTANCES, cur)
    if isinstance(now, int) and not isinstance(now, bool) and want >= now:
        return None
    return want, f"spark_idle_cores failed: {f['advice']}"


def _max_partition(run: TuningRun, cur: Mapping[str, str], cores: int) -> tuple[int, str] | None:
    f = run.finding("spark_partitions")
    if f and (m := re.search(rf"{re.escape(MAX_PARTITION)}=(\S+)", f["advice"])):
        want = value_of(MAX_PARTITION, {MAX_PARTITION: m.group(1)})
        if isinstance(want, int) and want != value_of(MAX_PARTITION, cur):
            return want, f"spark_partitions failed: {f['advice']}"
    now = value_of(MAX_PARTITION, cur)
    size = run.input_bytes
    if not size or not isinstance(now, int) or isinstance(now, bool) or now <= 0:
        return None
    low = TUNABLE[MAX_PARTITION].low or 1
    # input splits fewer than the cores leave cores idle while reading
    if math.ceil(size / now) < cores and size >= cores * low:
        want = max(low, size // (2 * cores) // MiB * MiB)
        return want, (f"{human_bytes(size)} read in splits of {human_bytes(now)}: fewer splits "
                      f"than the {cores} cores; 2 splits per core")  # fmt: skip
    return None


def rule_proposal(
    run: TuningRun, own: Mapping[str, str], cores: int
) -> tuple[dict[str, str], list[str]]:
    """Changes to `own` (the settings the asset runs with now) read from `run`, with one
    reason each; ({}, []) when the settings look good."""
    cores = max(1, cores)
    cur = {**run.settings, **own}
    out: dict[str, str] = {}
    why: list[str] = []
    _aqe(cur, out, why)
    if shuffle := _shuffle(run, cur, cores):
        out[SHUFFLE] = to_spark(SHUFFLE, shuffle[0])
        why.append(f"{SHUFFLE}={out[SHUFFLE]}: {shuffle[1]}")
    if bcast := _broadcast(run, cur):
        out[BROADCAST] = to_spark(BROADCAST, bcast[0])
        why.append(f"{BROADCAST}={out[BROADCAST]}: {bcast[1]}")
    if mem := _memory(run, cur):
        out[mem[0]] = to_spark(mem[0], mem[1])
        why.append(f"{mem[0]}={out[mem[0]]}: {mem[2]}")
    if inst := _instances(run, cur):
        out[INSTANCES] = to_spark(INSTANCES, inst[0])
        why.append(f"{INSTANCES}={out[INSTANCES]}: {inst[1]}")
    if split := _max_partition(run, cur, cores):
        out[MAX_PARTITION] = to_spark(MAX_PARTITION, split[0])
        why.append(f"{MAX_PARTITION}={out[MAX_PARTITION]}: {split[1]}")
    # a change to what it already is, after bounding, is no change
    kept = {k: v for k, v in out.items() if value_of(k, {k: v}) != value_of(k, cur)}
    return kept, [w for w in why if w.split("=", 1)[0] in kept]
