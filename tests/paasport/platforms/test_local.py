from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from paasport.job.params import JobParams
from paasport.platforms import JobSpec, LaunchRequest, UnknownPlatformError, get_platform_class
from paasport.platforms.selfhosted.local import LocalPlatform, LocalProfile
from paasport.platforms.selfhosted.spark_submit import build_env


def test_registry_resolves_local_and_rejects_unknown() -> None:
    assert get_platform_class("local") is LocalPlatform
    with pytest.raises(
        UnknownPlatformError, match=r"unknown platform 'emrr' .*known: .*emr, .*local, standalone"
    ):
        get_platform_class("emrr")


def test_command_carries_master_conf_and_script() -> None:
    platform = LocalPlatform(LocalProfile(master="local[2]", driver_memory="1g"), "local")
    request = LaunchRequest(
        job=JobSpec(script=Path("/jobs/edges.py"), name="paasport-edges"),
        params=JobParams(),
        spark_conf={"spark.b": "2", "spark.a": "1"},
    )
    cmd = platform.command(request)
    assert cmd[0].endswith("bin/spark-submit")
    assert cmd[cmd.index("--master") + 1] == "local[2]"
    assert cmd[cmd.index("--driver-memory") + 1] == "1g"
    confs = [cmd[i + 1] for i, arg in enumerate(cmd) if arg == "--conf"]
    assert confs == ["spark.a=1", "spark.b=2"]
    assert cmd[-1] == "/jobs/edges.py"


def test_the_users_driver_java_options_reach_the_driver() -> None:
    request = LaunchRequest(
        job=JobSpec(script=Path("/jobs/edges.py"), name="paasport-edges"),
        params=JobParams(),
        spark_conf={"spark.driver.extraJavaOptions": "-Dlog4j2.configurationFile=mine -Dx=1"},
    )
    cmd = LocalPlatform(LocalProfile(), "local").command(request)
    # one flag carries both (as --conf, spark-submit would drop the user's for its own flag)
    opts = cmd[cmd.index("--driver-java-options") + 1]
    assert opts.endswith(" -Dlog4j2.configurationFile=mine -Dx=1")  # the user's last: theirs win
    assert not any(a.startswith("spark.driver.extraJavaOptions=") for a in cmd)


def test_env_binds_loopback_and_uses_this_python() -> None:
    env = build_env({"JAVA_HOME": "/jdk"})
    assert env["SPARK_LOCAL_IP"] == "127.0.0.1"
    assert env["JAVA_HOME"] == "/jdk"
    assert Path(env["PYSPARK_PYTHON"]).name.startswith("python")


@pytest.mark.parametrize("field", [{"master": "yarn"}, {"driver_memory": "lots"}, {"cores": 2}])
def test_profile_rejects_bad_fields(field: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        LocalProfile.model_validate(field)
