"""An offline AWS account (moto + SeaweedFS) whose EMR, EMR Serverless, EMR on EKS and Glue
jobs really run with spark-submit on this machine."""

from paasport.testing.aws.emulator import BUCKET, REGION, AwsEmulator
from paasport.testing.emulators import emulator_of
from paasport.testing.faults import Faults

#: the registry's emulator of every AWS platform: one account serves them all
emulate = emulator_of(AwsEmulator)

__all__ = ["BUCKET", "REGION", "AwsEmulator", "Faults", "emulate"]
