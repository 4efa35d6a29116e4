"""Self-hosted Spark: this machine, a standalone cluster, a Spark Connect server."""

from paasport.platforms.entry import PlatformEntry, Provider

PROVIDER = Provider("selfhosted", "self-hosted")
_COSTS = "paasport.platforms.selfhosted.costs:cost"
_TESTING = "paasport.testing"

PLATFORMS = [
    PlatformEntry("local", PROVIDER, "paasport.platforms.selfhosted.local:LocalPlatform", _COSTS),
    PlatformEntry(
        "standalone",
        PROVIDER,
        "paasport.platforms.selfhosted.standalone:StandalonePlatform",
        _COSTS,
        emulator=f"{_TESTING}.standalone:emulate",
    ),
    PlatformEntry(
        "connect",
        PROVIDER,
        "paasport.platforms.selfhosted.connect:ConnectPlatform",
        _COSTS,
        emulator=f"{_TESTING}.connect:emulate",
        extra="connect",
    ),
]
