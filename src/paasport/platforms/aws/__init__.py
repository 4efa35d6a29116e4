"""AWS: EMR on EC2, EMR Serverless, EMR on EKS and Glue, sharing S3 artifacts and Pipes."""

from paasport.platforms.entry import PlatformEntry, Provider

PROVIDER = Provider("aws", "AWS", extra="aws")
_EMULATOR = "paasport.testing.aws:emulate"
_HERE = "paasport.platforms.aws"

PLATFORMS = [
    PlatformEntry(
        "emr", PROVIDER, f"{_HERE}.emr:EmrPlatform", f"{_HERE}.costs:emr_cost", _EMULATOR
    ),
    PlatformEntry(
        "emr_serverless",
        PROVIDER,
        f"{_HERE}.emr_serverless:EmrServerlessPlatform",
        f"{_HERE}.costs:emr_serverless_cost",
        _EMULATOR,
    ),
    PlatformEntry(
        "emr_eks",
        PROVIDER,
        f"{_HERE}.emr_eks:EmrEksPlatform",
        f"{_HERE}.costs:emr_eks_cost",
        _EMULATOR,
    ),
    PlatformEntry(
        "glue", PROVIDER, f"{_HERE}.glue:GluePlatform", f"{_HERE}.costs:glue_cost", _EMULATOR
    ),
]
