"""Databricks: classic job clusters (or an existing cluster) and serverless compute."""

from paasport.platforms.entry import PlatformEntry, Provider

PROVIDER = Provider("databricks", "Databricks", extra="databricks")
_EMULATOR = "paasport.testing.databricks:emulate"
_HERE = "paasport.platforms.databricks"

PLATFORMS = [
    PlatformEntry(
        "databricks",
        PROVIDER,
        f"{_HERE}.classic:DatabricksPlatform",
        f"{_HERE}.costs:classic_cost",
        _EMULATOR,
    ),
    PlatformEntry(
        "databricks_serverless",
        PROVIDER,
        f"{_HERE}.serverless:DatabricksServerlessPlatform",
        f"{_HERE}.costs:serverless_cost",
        _EMULATOR,
    ),
]
