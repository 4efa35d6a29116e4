"""Google Cloud: Dataproc on a per-run or an existing cluster."""

from paasport.platforms.entry import PlatformEntry, Provider

PROVIDER = Provider("gcp", "GCP", extra="gcp")
_HERE = "paasport.platforms.gcp"

PLATFORMS = [
    PlatformEntry(
        "dataproc",
        PROVIDER,
        f"{_HERE}.dataproc:DataprocPlatform",
        f"{_HERE}.costs:dataproc_cost",
        "paasport.testing.gcp:emulate",
    ),
]
