"""An offline AWS account (moto + SeaweedFS) whose EMR, EMR Serverless, EMR on EKS and Glue
jobs really run with spark-submit on this machine."""

from paasport.testing.aws.emulator import BUCKET, REGION, AwsEmulator
from paasport.testing.faults import Faults

__all__ = ["BUCKET", "REGION", "AwsEmulator", "Faults"]
