from __future__ import annotations

from pathlib import Path

import pytest

from paasport.config import ConfigError, parse_config
from paasport.job.params import JobParams
from paasport.platforms import JobSpec, LaunchRequest
from paasport.platforms.selfhosted.standalone import StandalonePlatform, StandaloneProfile

REQUEST = LaunchRequest(
    job=JobSpec(script=Path("/jobs/nodes.py"), name="paasport-nodes"),
    params=JobParams(),
    spark_conf={},
)


def test_command_targets_the_master_in_client_mode() -> None:
    profile = StandaloneProfile(master="spark://10.0.0.5:7077", total_executor_cores=4)
    platform = StandalonePlatform(profile, "cluster")
    cmd = platform.command(REQUEST)
    assert cmd[cmd.index("--master") + 1] == "spark://10.0.0.5:7077"
    assert cmd[cmd.index("--deploy-mode") + 1] == "client"
    assert cmd[cmd.index("--total-executor-cores") + 1] == "4"
    assert cmd[cmd.index("--executor-memory") + 1] == "1g"
    assert not platform.loopback()  # a remote cluster must reach the driver
    local = StandalonePlatform(StandaloneProfile(master="spark://127.0.0.1:7077"), "c")
    assert local.loopback()
    assert "--total-executor-cores" not in local.command(REQUEST)


def test_profile_needs_a_spark_master_url() -> None:
    with pytest.raises(ConfigError, match=r"profiles\.cluster\.master"):
        parse_config({"profiles": {"cluster": {"platform": "standalone"}}}, None)
    with pytest.raises(ConfigError, match=r"profiles\.cluster\.master: String should match"):
        parse_config({"profiles": {"cluster": {"platform": "standalone", "master": "yarn"}}}, None)
    with pytest.raises(ConfigError, match=r"platform: platform 'standalone' .* needs a profile"):
        # a bare platform name is not enough when the platform has required fields
        parse_config({"platform": "standalone"}, None)
