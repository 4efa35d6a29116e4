from __future__ import annotations

import pytest

from paasport.job.params import EXTRAS_KEY, JobParamError, JobParams, parse_cli


def test_cli_parses_params_partitions_and_conf() -> None:
    params = parse_cli(
        [
            "--param",
            "input=/data/in",
            "--param",
            "mode=a=b",
            "--partition",
            "crawl=CC-1",
            "--partition",
            "seeds=top",
            "--conf",
            "spark.sql.shuffle.partitions=3",
            "--sample",
        ]
    )
    assert params.params == {"input": "/data/in", "mode": "a=b"}
    assert params.partition("crawl") == "CC-1"
    assert params.partition_key == "CC-1|top"
    assert params.spark_conf == {"spark.sql.shuffle.partitions": "3"}
    assert params.sample is True
    assert params.platform == "local"


def test_cli_rejects_malformed_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parse_cli(["--param", "novalue"])
    assert "--param expects NAME=VALUE, got 'novalue'" in capsys.readouterr().err


def test_extras_round_trip() -> None:
    params = JobParams(
        asset="edges",
        partition_key="a|b",
        partition_keys={"crawl": "a", "seeds": "b"},
        params={"x": "1"},
        sample=True,
        platform="local",
        run_id="r1",
        spark_conf={"k": "v"},
    )
    assert JobParams.from_extras({EXTRAS_KEY: params.to_extras()}) == params


def test_missing_values_name_the_parameter() -> None:
    params = JobParams(params={"a": "1"}, partition_keys={"crawl": "x"})
    with pytest.raises(JobParamError, match=r"job parameter 'output' is required .*given: a"):
        params.require("output")
    with pytest.raises(JobParamError, match="partition dimension 'seeds' is not set"):
        params.partition("seeds")
    with pytest.raises(JobParamError, match="no 'paasport' section"):
        JobParams.from_extras({})
