"""The command and environment of a Spark Connect server on 127.0.0.1, from the pip pyspark
package: what the warm local Spark runs and what the `connect` emulator runs."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from paasport.java import java_env
from paasport.platforms.selfhosted.class_archive import spark_home
from paasport.platforms.selfhosted.spark_submit import LOG4J_CONFIG

SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
#: the server reads its token from here (Spark's CONNECT_AUTHENTICATE_TOKEN_ENV)
SERVER_TOKEN_VAR = "SPARK_CONNECT_AUTHENTICATE_TOKEN"


def server_command(
    master: str, driver_memory: str, port: int, ui_port: int, conf: Mapping[str, str]
) -> list[str]:
    """spark-submit of a Connect server listening on 127.0.0.1:`port` (pure)."""
    cmd = [
        str(spark_home() / "bin" / "spark-submit"),
        "--class", SERVER_CLASS,
        "--master", master,
        "--driver-memory", driver_memory,
        "--driver-java-options", f"-Dlog4j2.configurationFile=file:{LOG4J_CONFIG}",
    ]  # fmt: skip
    fixed = {
        "spark.connect.grpc.binding.address": "127.0.0.1",
        "spark.connect.grpc.binding.port": str(port),
        "spark.driver.host": "127.0.0.1",
        "spark.driver.bindAddress": "127.0.0.1",
        "spark.ui.port": str(ui_port),
    }
    for key, value in {**conf, **fixed}.items():
        cmd += ["--conf", f"{key}={value}"]
    cmd.append("spark-internal")
    return cmd


def server_env(base: Mapping[str, str], token: str | None = None) -> dict[str, str]:
    """The server's environment: Java, Spark's home, loopback, and Python workers that run this
    interpreter and see the project's code (UDFs import what the job imports)."""
    env = {
        **base,
        **java_env(),
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,
        "PYTHONPATH": os.pathsep.join(p for p in sys.path if p),
    }
    env.pop(SERVER_TOKEN_VAR, None)
    if token:
        env[SERVER_TOKEN_VAR] = token  # not on the command line, where `ps` would show it
    return env
