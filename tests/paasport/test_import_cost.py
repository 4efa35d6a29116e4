"""Every Dagster start imports paasport's orchestration side (twice with Dagster's multiprocess
executor): it must not pull in the job side's pyspark or the tuning search's optuna."""

from __future__ import annotations

import subprocess
import sys


def test_orchestration_imports_neither_pyspark_nor_optuna() -> None:
    code = (
        "import sys, paasport.dagster, paasport.cli.main, paasport.platforms.selfhosted.local; "
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'pyspark', 'optuna'}); "
        "print(heavy); sys.exit(1 if heavy else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
