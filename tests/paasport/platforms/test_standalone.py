from __future__ import annotations

from pathlib import Path

import pytest

from paasport.config import ConfigError, parse_config
from paasport.job.params import JobParams
from paasport.platforms import JobSpec, LaunchRequest
from paasport.platforms.standalone import StandalonePlatform, StandaloneProfile

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


#: A user's Spark settings, through the real config path: `[assets.counts]` in paasport.toml.
ASKED = {"spark.sql.shuffle.partitions": "37", "spark.sql.adaptive.enabled": "false"}
SECRET = "PLANTED-SECRET-123"


@pytest.mark.spark
def test_a_job_on_a_real_cluster_runs_with_the_users_settings(tmp_path: Path) -> None:
    import dagster as dg

    from paasport.dagster import PaasportResource, spark_asset
    from paasport.testing.results import metadata
    from paasport.testing.standalone import StandaloneCluster

    user = {**ASKED, "spark.hadoop.fs.s3a.secret.key": SECRET}
    conf = ", ".join(f'"{k}" = "{v}"' for k, v in user.items())
    config = tmp_path / "paasport.toml"
    config.write_text(f"[assets.counts]\nspark_conf = {{ {conf} }}\n")
    job = Path(__file__).parents[1] / "fixtures" / "count_job.py"
    params = {"output": str(tmp_path / "out"), "n": "70", "echo_conf": ",".join(ASKED)}
    with StandaloneCluster(workers=1) as cluster:
        result = dg.materialize(
            [spark_asset(name="counts", job=job, params=params, checks=["has_rows"])],
            instance=dg.DagsterInstance.ephemeral(),
            resources={
                "paasport": PaasportResource(
                    config_path=str(config),
                    extra_profiles={
                        "cluster": {
                            "platform": "standalone",
                            "master": cluster.master_url,
                            "executor_memory": "512m",
                        }
                    },
                )
            },
            run_config={"ops": {"counts": {"config": {"platform": "cluster"}}}},
        )
    meta = metadata(result, "counts")
    assert meta["conf_readback"] == ASKED  # read inside the job: not replaced by defaults
    recorded = meta["spark_conf"]
    assert recorded.items() >= ASKED.items()
    assert recorded["spark.master"] == cluster.master_url
    assert recorded["spark.hadoop.fs.s3a.secret.key"] == "*********(redacted)"
    assert SECRET not in str(meta)
