"""What paasport knows about a platform lives in a few files: its provider folder's entry and
module, its cost model, its orphan finder (`paasport gc`), its emulator (and its provider's
price file, which is data). A list or
branch keyed by platform name elsewhere in src/ is knowledge in a second place, so this test
counts the files that name each registered platform."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from paasport.platforms import REGISTRY, platform_names

SRC = Path(__file__).parents[3] / "src" / "paasport"
MOST_FILES = 6
#: platform names that are also plain words or library names in code and prose ("a local
#: path", "connect to"): for these only a quoted name counts as naming the platform
WORDS = {"local", "connect", "databricks"}


def naming(name: str) -> re.Pattern[str]:
    if name in WORDS:
        return re.compile(rf"[\"']{name}[\"']")
    # the name on its own: not inside a dotted module path, a dashed package, a URL path or
    # a library's own model name ("glue::job_run")
    return re.compile(rf"(?<![\w.\-/]){name}(?![\w\-/]|\.\w|::)")


def files_naming(name: str) -> list[str]:
    pattern = naming(name)
    return sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*")
        if path.suffix == ".py"  # code; the provider's price file (data) is its entry's too
        and pattern.search(path.read_text(encoding="utf-8"))
    )


@pytest.mark.parametrize("name", platform_names())
def test_at_most_six_files_in_src_name_a_platform(name: str) -> None:
    found = files_naming(name)
    assert len(found) <= MOST_FILES, f"{name} is named in {len(found)} files: {found}"
    provider = REGISTRY[name].provider.key
    assert f"platforms/{provider}/__init__.py" in found  # its entry names it


def test_the_pattern_sees_a_name_and_ignores_module_paths() -> None:
    pattern = naming("glue")
    assert pattern.search('if platform == "glue":')
    assert pattern.search("glue,standard,us-east-1,0.44")
    assert not pattern.search("from moto.glue.models import glue_backends")
    assert not pattern.search("paasport.platforms.aws.glue:GluePlatform")
    assert not pattern.search('model_name="glue::job_run"')
    assert not pattern.search('f"emr/home?region={region}"')
