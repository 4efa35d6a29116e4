from __future__ import annotations

from pathlib import Path

import pytest

from paasport.config import ConfigError, load_config, parse_config


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "paasport.toml"
    path.write_text(text)
    return path


def test_no_file_means_local_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAASPORT_CONFIG", raising=False)
    config = load_config()
    assert config.path is None
    assert config.platform == "local"
    assert config.resolve("local", "platform").profile.platform == "local"


def test_full_config_resolves_profiles_and_assets(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            """
platform = "small"
[params]
input = "data/in"
[profiles.small]
platform = "local"
master = "local[2]"
spark_conf = { "spark.sql.shuffle.partitions" = "4" }
[assets.edges]
platform = "local"
params = { mode = "warc" }
""",
        )
    )
    assert config.resolve(config.platform, "platform").profile.model_dump()["master"] == "local[2]"
    assert config.asset("edges").params == {"mode": "warc"}
    assert config.asset("unknown").platform is None
    assert config.root == tmp_path.resolve()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('platform = "emrr"', "platform: unknown platform or profile 'emrr'"),
        ('[assets.edges]\nplatform = "nope"', "assets.edges.platform: unknown platform or profile"),
        (
            '[assets.edges]\nplaform = "local"',
            "assets.edges.plaform: Extra inputs are not permitted",
        ),
        ('[profiles.big]\nmaster = "local[4]"', "profiles.big.platform: required"),
        ('[profiles.big]\nplatform = "mainframe"', "profiles.big.platform: unknown platform"),
        ('[profiles.big]\nplatform = "local"\nmaster = "yarn"', "profiles.big.master"),
        ('[profiles.big]\nplatform = "local"\ndriver_memory = 4', "profiles.big.driver_memory"),
        ('[profiles.big]\nplatform = "local"\nsecret = "x"', "profiles.big.secret"),
        ("platform = ", "invalid TOML"),
        ('[assets.edges]\ntuning = "yes"', "assets.edges.tuning: Input should be 'off'"),
        (
            '[assets.edges]\ntuning_pinned = ["spark.app.name"]',
            "assets.edges.tuning_pinned: Value error, 'spark.app.name' is not a setting tuning",
        ),
    ],
)
def test_invalid_config_names_the_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert expected in str(err.value)
    assert str(path) in str(err.value)


def test_config_env_var_pointing_nowhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAASPORT_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match=r"PAASPORT_CONFIG=.*no such file"):
        load_config()


def test_resolve_names_the_field_it_was_asked_for() -> None:
    config = parse_config({}, None)
    with pytest.raises(ConfigError, match="run tag paasport/platform: unknown platform"):
        config.resolve("emr-prod", "run tag paasport/platform")
