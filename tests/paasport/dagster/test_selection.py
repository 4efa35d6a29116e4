from __future__ import annotations

import pytest

from paasport.config import ConfigError, parse_config
from paasport.dagster.selection import PLATFORM_TAG, select_platform

CONFIG = parse_config(
    {
        "platform": "default-prof",
        "profiles": {
            "default-prof": {"platform": "local", "master": "local[1]"},
            "asset-prof": {"platform": "local", "master": "local[2]"},
            "tag-prof": {"platform": "local", "master": "local[3]"},
            "run-prof": {"platform": "local", "master": "local[4]"},
        },
        "assets": {"edges": {"platform": "asset-prof"}},
    },
    None,
)


@pytest.mark.parametrize(
    ("asset", "run_config", "tags", "expected", "source"),
    [
        ("nodes", None, {}, "default-prof", "inline config: platform"),
        ("edges", None, {}, "asset-prof", "assets.edges.platform"),
        ("edges", None, {PLATFORM_TAG: "tag-prof"}, "tag-prof", "run tag"),
        ("edges", "run-prof", {PLATFORM_TAG: "tag-prof"}, "run-prof", "run config"),
        ("nodes", "local", {}, "local", "run config"),
    ],
)
def test_precedence(
    asset: str, run_config: str | None, tags: dict[str, str], expected: str, source: str
) -> None:
    selection = select_platform(CONFIG, asset, run_config, tags)
    assert selection.name == expected
    assert source in selection.source
    assert selection.resolved is not None and selection.resolved.profile.platform == "local"


def test_auto_is_left_to_the_planner() -> None:
    config = parse_config(
        {"platform": "auto", "profiles": {"a": {"platform": "local"}},
         "planner": {"candidates": ["a"]}}, None)  # fmt: skip
    selection = select_platform(config, "nodes", None, {})
    assert (selection.name, selection.resolved) == ("auto", None)


def test_bad_run_tag_names_the_tag() -> None:
    with pytest.raises(ConfigError, match="run tag paasport/platform: unknown platform or profile"):
        select_platform(CONFIG, "nodes", None, {PLATFORM_TAG: "emrr"})
