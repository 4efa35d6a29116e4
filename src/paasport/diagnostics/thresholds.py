"""Every threshold the checks use: a named default with where it comes from.

A user overrides any of them by name, per asset: `[assets.X] diagnostics = { thresholds =
{ skew_ratio = 20 } }`. Sizes are bytes, times seconds (or ms where the name says so).
"""

from __future__ import annotations

from paasport.units import GiB, MiB

# --- spark_skew ---
# DataFlint PartitionSkewAlert: a stage is skewed when its slowest task runs > 5 s ...
SKEW_MAX_TASK_S = 5.0
# ... and > 10x the stage's median task
SKEW_RATIO = 10.0
# Spark AQE (spark.sql.adaptive.skewJoin.skewedPartitionFactor): a partition > 5x the median ...
SKEW_AQE_RATIO = 5.0
# ... and larger than spark.sql.adaptive.skewJoin.skewedPartitionThresholdInBytes (256 MB)
SKEW_AQE_BYTES = 256.0 * MiB

# --- spark_spill ---
# ours: a stage spilling under 128 MiB (as it was in memory) loses well under a second
SPILL_MIN_BYTES = 128.0 * MiB
# ours: disk spill worth a tenth of the stage's shuffled (or read) bytes, both compressed,
# is I/O worth removing
SPILL_RATIO = 0.1

# --- spark_gc ---
# Dr. Elephant's GC heuristic grades GC time / executor run time at 0.08 (low), 0.10
# (moderate), 0.15 (severe), 0.20 (critical); we fire at "moderate", where the Spark UI also
# paints GC time red (> 10 % of task time)
GC_GRADES = {"low": 0.08, "moderate": 0.10, "severe": 0.15, "critical": 0.20}
GC_RATIO = GC_GRADES["moderate"]
# ours: under 10 s of GC in the whole run, memory tuning saves less than it costs to do
GC_MIN_S = 10.0

# --- spark_partitions ---
# DataFlint SmallTasksAlert: more than 5,000 tasks in a stage ...
PARTITIONS_MAX_TASKS = 5000.0
# ... whose median task runs under 500 ms is scheduling overhead
PARTITIONS_MIN_MEDIAN_MS = 500.0
# ours: a stage with fewer tasks than cores matters once it runs 10 s (idle slots pile up)
PARTITIONS_FEW_MIN_STAGE_S = 10.0
# Spark's spark.sql.files.maxPartitionBytes default and DataFlint's ideal size (128 MiB)
TARGET_PARTITION_BYTES = 128.0 * MiB

# --- spark_small_files ---
# DataFlint MemorySQLInputOutputAlerts: mean file under 3 MiB ...
SMALL_FILES_MEAN_BYTES = 3.0 * MiB
# ... over more than 100 files, read or written
SMALL_FILES_MIN_FILES = 100.0
# DataFlint IDEAL_FILE_SIZE: the target count is bytes / 128 MiB
TARGET_FILE_BYTES = 128.0 * MiB

# --- spark_broadcast ---
# DataFlint JoinToBroadcastAlert: a sort-merge join whose smaller side < 10 MiB (Spark's own
# spark.sql.autoBroadcastJoinThreshold default) ...
BROADCAST_SMALL_BYTES = 10.0 * MiB
# ... or < 100 MiB while the larger side is > 10 GiB
BROADCAST_MEDIUM_BYTES = 100.0 * MiB
BROADCAST_LARGE_SIDE_BYTES = 10.0 * GiB
# ours: when the larger side is under 32 MiB the shuffle a broadcast saves is negligible
BROADCAST_MIN_LARGE_BYTES = 32.0 * MiB

# --- spark_idle_cores ---
# DataFlint WastedCoresAlertsReducer: more than 50 % of the core time idle
IDLE_RATIO = 0.5
# ours: Spark jobs that ran under 30 s in total cannot waste much
IDLE_MIN_SPARK_S = 30.0

# --- spark_driver_time ---
# ours (Sparklens reports driver-only time): most of the job's time outside Spark jobs ...
DRIVER_RATIO = 0.5
# ... and at least 30 s of it (session start alone takes 5-15 s)
DRIVER_MIN_S = 30.0

# --- regressions ---
# the seed chapter's rule: a run twice as slow (or as costly) as usual is an incident
DURATION_RATIO = 2.0
COST_RATIO = 2.0
# ours: output rows an order of magnitude off the input-scaled baseline
OUTPUT_LOW_RATIO = 0.1
OUTPUT_HIGH_RATIO = 10.0
# ours: fewer baseline runs than this say nothing about noise (Dr. Elephant's tuner waits
# for 18; we only alarm, so 3 are enough to take a median and a spread)
MIN_BASELINE_RUNS = 3.0
# robust z-score: the run must also be > 3 scaled MADs above the baseline median (TUNA,
# EuroSys'25: cloud noise reaches tens of percent, so compare against a robust spread)
NOISE_MADS = 3.0
# ours: a slowdown under 10 s is JVM start-up jitter, not a regression
DURATION_MIN_INCREASE_S = 10.0
# ours: a cost rise under one cent is not worth an alert
COST_MIN_INCREASE_USD = 0.01

#: name -> default; the names are what users override in `thresholds`
THRESHOLDS: dict[str, float] = {
    "skew_max_task_s": SKEW_MAX_TASK_S,
    "skew_ratio": SKEW_RATIO,
    "skew_aqe_ratio": SKEW_AQE_RATIO,
    "skew_aqe_bytes": SKEW_AQE_BYTES,
    "spill_min_bytes": SPILL_MIN_BYTES,
    "spill_ratio": SPILL_RATIO,
    "gc_ratio": GC_RATIO,
    "gc_min_s": GC_MIN_S,
    "partitions_max_tasks": PARTITIONS_MAX_TASKS,
    "partitions_min_median_ms": PARTITIONS_MIN_MEDIAN_MS,
    "partitions_few_min_stage_s": PARTITIONS_FEW_MIN_STAGE_S,
    "target_partition_bytes": TARGET_PARTITION_BYTES,
    "small_files_mean_bytes": SMALL_FILES_MEAN_BYTES,
    "small_files_min_files": SMALL_FILES_MIN_FILES,
    "target_file_bytes": TARGET_FILE_BYTES,
    "broadcast_small_bytes": BROADCAST_SMALL_BYTES,
    "broadcast_medium_bytes": BROADCAST_MEDIUM_BYTES,
    "broadcast_large_side_bytes": BROADCAST_LARGE_SIDE_BYTES,
    "broadcast_min_large_bytes": BROADCAST_MIN_LARGE_BYTES,
    "idle_ratio": IDLE_RATIO,
    "idle_min_spark_s": IDLE_MIN_SPARK_S,
    "driver_ratio": DRIVER_RATIO,
    "driver_min_s": DRIVER_MIN_S,
    "duration_ratio": DURATION_RATIO,
    "cost_ratio": COST_RATIO,
    "output_low_ratio": OUTPUT_LOW_RATIO,
    "output_high_ratio": OUTPUT_HIGH_RATIO,
    "min_baseline_runs": MIN_BASELINE_RUNS,
    "noise_mads": NOISE_MADS,
    "duration_min_increase_s": DURATION_MIN_INCREASE_S,
    "cost_min_increase_usd": COST_MIN_INCREASE_USD,
}
