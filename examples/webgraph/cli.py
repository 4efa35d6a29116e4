"""The webgraph example's commands, registered with `paasport` through the entry-point group
`paasport.commands` (see examples/pyproject.toml): `paasport demo`, `paasport example webgraph`,
`paasport sample webgraph` and `paasport ui`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from paasport.cli.common import console
from paasport.cli.common import dagster_instance as _instance
from paasport.cli.common import project_config as _config
from paasport.config import ProjectConfig

if TYPE_CHECKING:
    from webgraph.assets import WebgraphPaths
    from webgraph.run import StepSummary

example_app = typer.Typer(help="Run a bundled example on your own data.", no_args_is_help=True)
sample_app = typer.Typer(help="Generate sample data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the example's commands to the `paasport` app (the `paasport.commands` entry point)."""
    app.command("demo")(demo)
    app.add_typer(example_app, name="example")
    app.add_typer(sample_app, name="sample")
    app.command("ui")(ui)


Platform = Annotated[
    str | None, typer.Option(help="platform or profile for every asset (run tag paasport/platform)")
]
Mode = Annotated[str, typer.Option(help="input mode: wat (fast) or warc (HTML parsing)")]


def _run_with_progress(
    paths: WebgraphPaths,
    platform: str | None,
    config: ProjectConfig,
    extra_profiles: dict[str, dict[str, Any]] | None = None,
    planner: dict[str, Any] | None = None,
    parallel: int = 1,
) -> list[StepSummary]:
    from webgraph.run import run_pipeline

    instance = _instance(config)
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} partitions"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("starting", total=None)

        def on_step(partition: str, done: int, total: int) -> None:
            what = f"partition {partition}" if parallel == 1 else f"{parallel} at once"
            progress.update(task, description=what, completed=done, total=total)

        summary = run_pipeline(
            paths,
            instance=instance,
            platform=platform,
            config_path=str(config.path) if config.path else None,
            on_step=on_step,
            extra_profiles=extra_profiles,
            planner=planner,
            parallel=parallel,
        )
        progress.update(task, description="done", completed=len({s.partition for s in summary}))
    return summary


def _print_summary(summary: list[StepSummary], elapsed_s: float | None = None) -> None:
    platforms = sorted({s.platform for s in summary})
    # one platform for all: say it once in the title and keep the table narrow
    per_row = len(platforms) > 1
    title = "webgraph: one Dagster run per partition, its four assets in order"
    table = Table(title=title if per_row else f"{title}, on {platforms[0] if platforms else '?'}")
    numeric = ("rows", "wall s", "Spark s", "cost USD")
    for col in ("asset", "crawl", "seeds", *(("platform",) if per_row else ()), *numeric):
        table.add_column(col, justify="right" if col in numeric else "left", no_wrap=True)
    for s in summary:
        crawl, _, seeds = s.partition.partition("|")
        table.add_row(
            s.asset,
            crawl,
            seeds,
            *((s.platform,) if per_row else ()),
            f"{s.rows:,}",
            f"{s.wall_s:.1f}",
            f"{s.spark_s:.1f}",
            f"{float(s.metadata.get('cost_usd_total', 0.0)):.4f}",
        )
    console.print(table)
    for s in summary:  # platform = auto: where each step ran, and why
        plan = s.metadata.get("plan")
        if isinstance(plan, dict):
            profile = s.metadata.get("profile", s.platform)
            console.print(f"  {s.asset} [{s.partition}] on {profile}: {plan.get('why', '')}")
    wall = sum(s.wall_s for s in summary)
    spark = sum(s.spark_s for s in summary)
    console.print(f"total: {len(summary)} materializations, wall {wall:.0f} s, Spark {spark:.0f} s")
    if elapsed_s is not None and spark > 0:
        console.print(
            f"pipeline: {elapsed_s:.0f} s from first step to last, {elapsed_s / spark:.1f}x its "
            f"Spark time (each step's wall: {wall / spark:.1f}x)"
        )


def demo(
    platform: Platform = None,
    mode: Mode = "wat",
    regenerate: Annotated[bool, typer.Option(help="regenerate the sample data")] = False,
    emulate: Annotated[
        bool, typer.Option(help="start an offline emulator of --platform and run on it")
    ] = False,
    warm: Annotated[
        bool,
        typer.Option(
            "--warm/--cold",
            help="local Spark: one shared Spark Connect server for every step (the profile's "
            "warm = true), stopped at the end; --cold: a JVM per step",
        ),
    ] = True,
    parallel: Annotated[
        int | None,
        typer.Option(min=1, help="partitions at once [default: with --warm, the cores; else 1]"),
    ] = None,
) -> None:
    """Generate sample data if absent, materialize every partition of the webgraph assets, and
    print a summary."""
    from webgraph.assets import WebgraphPaths
    from webgraph.definitions import paths_from_config
    from webgraph.layout import LayoutError, check_mode
    from webgraph.run import compare_with_expected
    from webgraph.sample import generate_sample

    config = _config()
    if emulate:
        _check_emulator(platform)  # before any work: a wrong flag costs nothing
    # the warm server is local Spark's: on an emulated or remote platform the steps run there
    warm_profiles = _warm_profiles(config, platform) if warm and not emulate else None
    warm = warm_profiles is not None
    # partitions at once on the shared server; a JVM per step (cold) would need cores per step
    parallel = parallel or ((os.cpu_count() or 1) if warm else 1)
    configured = paths_from_config()
    try:
        paths = WebgraphPaths(
            configured.input, configured.seeds, configured.output, check_mode(mode)
        )
    except LayoutError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    data = configured.input.parent
    expected = data / "expected"
    if regenerate or not (expected / "manifest.json").is_file():
        console.print(f"generating sample data in {data} ...")
        for sub in ("input", "seeds", "expected"):
            shutil.rmtree(data / sub, ignore_errors=True)
        started = time.monotonic()
        info = generate_sample(data)
        console.print(
            f"  {len(info.crawl_ids)} crawls x {len(info.seed_stems)} seed lists, "
            f"{len(info.warc_files)} WARC + {len(info.wat_files)} WAT files "
            f"({time.monotonic() - started:.1f} s)"
        )
    _instance(config)
    console.print(f"config: {config.source}; Dagster instance: {os.environ['DAGSTER_HOME']}")
    started = time.monotonic()
    if emulate:
        summary = _run_emulated(paths, platform, config, parallel)
    elif warm_profiles is not None:
        summary = _run_warm(paths, platform, config, warm_profiles, parallel)
    else:
        summary = _run_with_progress(paths, platform, config, parallel=parallel)
    _print_summary(summary, time.monotonic() - started)
    checks = compare_with_expected(paths, expected)
    ok = all(checks.values()) and bool(checks)
    verdict = "[green]equal[/green]" if ok else "[red]DIFFERENT[/red]"
    console.print(
        f"graph_aggr vs the generator's expected output: {verdict} "
        f"({sum(checks.values())}/{len(checks)} partitions, mode {mode})"
    )
    console.print(f"outputs: {paths.output}")
    if not ok:
        raise typer.Exit(1)


#: what `demo --platform auto --emulate` lets the planner choose from (one emulator serves both)
AUTO_DEMO_CANDIDATES = ("emr_serverless", "glue")


def _check_emulator(platform: str | None) -> str:
    from paasport.platforms import emulated_platforms

    if not platform:
        console.print("[red]--emulate needs --platform NAME[/red]")
        raise typer.Exit(2)
    if platform not in emulated_platforms() and platform != "auto":
        console.print(
            f"[red]--platform: no emulator for platform '{platform}' "
            f"(emulated: {', '.join(emulated_platforms())}; and auto, the planner choosing "
            f"between {' and '.join(AUTO_DEMO_CANDIDATES)})[/red]"
        )
        raise typer.Exit(2)
    return platform


def _warm_profiles(config: ProjectConfig, platform: str | None) -> dict[str, dict[str, Any]] | None:
    """The profile the demo runs on, with warm = true; None when it is not a `local` one (the
    warm server is local Spark's) or names nothing (the run itself says so)."""
    from paasport.config import ConfigError

    name = platform or config.platform
    try:
        profile = config.resolve(name, "--platform").profile
    except ConfigError:
        return None
    if profile.platform != "local":
        return None
    return {name: {**profile.model_dump(mode="json", exclude_none=True), "warm": True}}


def _run_warm(
    paths: WebgraphPaths,
    platform: str | None,
    config: ProjectConfig,
    profiles: dict[str, dict[str, Any]],
    parallel: int,
) -> list[StepSummary]:
    """Run on the warm local Spark, and stop the server this demo started (one that already
    ran, a `dagster dev` session's, is left running)."""
    from paasport.platforms.selfhosted import warm

    before = {p.stem for p in warm.warm_dir().glob("*.json")}
    try:
        return _run_with_progress(paths, platform, config, profiles, parallel=parallel)
    finally:
        for path in warm.warm_dir().glob("*.json"):
            if path.stem not in before:
                warm.stop(path.stem)


def _run_emulated(
    paths: WebgraphPaths, platform: str | None, config: ProjectConfig, parallel: int = 1
) -> list[StepSummary]:
    """Start the emulator of `platform`, run on a profile named after it, stop it. An emulator
    that cannot start, or refuses a client, ends the command with a message naming it and why
    (no traceback, no credential)."""
    from paasport.testing import EmulatorError, emulate, refusals_named
    from paasport.testing.isolation import secret_values

    platform = _check_emulator(platform)
    if platform == "auto":
        return _run_auto_emulated(paths, config)
    secrets = secret_values(os.environ)  # the user's, before the emulator hides them
    console.print(f"starting the {platform} emulator ...")
    try:
        with emulate(platform) as profile:
            console.print(f"  {platform} emulator up: {profile}")
            with refusals_named(f"the {platform} emulator", secrets):
                return _run_with_progress(
                    paths, platform, config, {platform: profile}, parallel=parallel
                )
    except EmulatorError as exc:
        raise _emulator_failed(exc) from None


def _emulator_failed(exc: Exception) -> typer.Exit:
    """Say which emulator failed and why (one line, no traceback); the exit to raise."""
    from rich.markup import escape

    console.print(f"[red]{escape(str(exc))}[/red]")
    return typer.Exit(1)


def _run_auto_emulated(paths: WebgraphPaths, config: ProjectConfig) -> list[StepSummary]:
    """`platform = auto` over emulated AWS candidates: each asset's first partitions explore
    them, the later ones run on the cheapest by its history."""
    from paasport.testing import EmulatorError, guarded, refusals_named
    from paasport.testing.aws import AwsEmulator
    from paasport.testing.isolation import secret_values

    names = ", ".join(AUTO_DEMO_CANDIDATES)
    secrets = secret_values(os.environ)
    console.print(f"starting the AWS emulator for the planner's candidates ({names}) ...")
    try:
        with guarded("AWS (auto)", AwsEmulator) as aws:
            profiles = {name: aws.profile(name) for name in AUTO_DEMO_CANDIDATES}
            planner = {"candidates": list(AUTO_DEMO_CANDIDATES), "explore_runs": 1,
                       "retry_backoff_s": 1.0}  # fmt: skip
            with refusals_named("the AWS emulator", secrets):
                summary = _run_with_progress(paths, "auto", config, profiles, planner)
    except EmulatorError as exc:
        raise _emulator_failed(exc) from None
    console.print("explain a choice: paasport plan ASSET --platform emr_serverless --platform glue")
    return summary


@example_app.command("webgraph")
def example_webgraph(
    input: Annotated[Path, typer.Option(help="folder with <crawl-id>/wat and/or warc files")],
    seeds: Annotated[Path, typer.Option(help="seed list CSV (firm_id,name,url)")],
    output: Annotated[Path, typer.Option(help="where the Parquet outputs go")],
    mode: Mode = "wat",
    platform: Platform = None,
) -> None:
    """Run the Common Crawl inter-firm network pipeline on any data in the Common Crawl layout."""
    from webgraph.assets import WebgraphPaths
    from webgraph.layout import LayoutError, check_mode, crawl_ids

    if not seeds.is_file():
        console.print(f"[red]--seeds {seeds}: no such file[/red]")
        raise typer.Exit(2)
    if not crawl_ids(input):
        console.print(f"[red]--input {input}: no <crawl-id> folders found[/red]")
        raise typer.Exit(2)
    try:
        paths = WebgraphPaths(input, seeds, output, check_mode(mode))
    except LayoutError as exc:
        console.print(f"[red]--mode: {exc}[/red]")
        raise typer.Exit(2) from None
    config = _config()
    _print_summary(_run_with_progress(paths, platform, config))
    console.print(f"outputs: {output.resolve()}")


@sample_app.command("webgraph")
def sample_webgraph(
    out: Annotated[Path, typer.Option(help="output folder")],
    crawls: int = 2,
    files_per_crawl: int = 2,
    firms: int = 40,
    pages_per_crawl: int = 600,
    seed: int = 7,
    corrupt: Annotated[
        bool, typer.Option(help="inject a corrupt gzip member and a truncated record")
    ] = True,
    links_per_page: Annotated[
        str | None,
        typer.Option(
            metavar="LOW-HIGH",
            help="top every HTML page up to LOW-HIGH links (real pages: 50-80); "
            "default: the planned 20-35",
        ),
    ] = None,
) -> None:
    """Write a synthetic web of firms as WARC + WAT files, seed lists and the expected output."""
    from webgraph.sample import generate_sample
    from webgraph.sample_links import parse_range

    try:
        density = parse_range(links_per_page) if links_per_page is not None else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--links-per-page") from None
    info = generate_sample(
        out,
        crawls=crawls,
        files_per_crawl=files_per_crawl,
        firms=firms,
        pages_per_crawl=pages_per_crawl,
        seed=seed,
        corrupt=corrupt,
        links_per_page=density,
    )
    console.print(
        f"input: {info.input_dir}\nseeds: {info.seeds_dir}\nexpected: {info.expected_dir}"
    )


def ui(port: int = 3000) -> None:
    """Open the Dagster UI on the webgraph example (http://127.0.0.1:PORT)."""
    config = _config()
    _instance(config)
    dagster = Path(sys.executable).with_name("dagster")
    cmd = [str(dagster), "dev", "-m", "webgraph.definitions", "-h", "127.0.0.1", "-p", str(port)]
    console.print(f"DAGSTER_HOME={os.environ['DAGSTER_HOME']} {' '.join(cmd)}")
    raise typer.Exit(subprocess.call(cmd, cwd=config.root))
