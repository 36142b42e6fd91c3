"""The ``stamp-bench`` command line: tiered benchmark of pathology encoders and the leaderboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from humanst.console import cli_errors, console, err_console, new_app

app = new_app(
    "stamp-bench",
    "Tiered benchmark (spot, slide, patient) of pathology encoders, with a leaderboard and safe submissions.",
)


@app.command()
def run(
    atlas: Annotated[Path, typer.Option("--atlas", help="Atlas folder made by `humanst build`.")] = Path("atlas"),
    encoder: Annotated[
        str, typer.Option("--encoder", help="Encoder name (`stamp encoders`), timm:<arch>, or a baseline.")
    ] = "vit-tiny-test",
    adapter: Annotated[
        str | None,
        typer.Option(
            "--adapter",
            help="A `stamp fit` run folder, or hf:ORG/NAME[@REVISION] (pinned by commit): score the aligned encoder.",
        ),
    ] = None,
    random_init: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--random-init", help="Score the encoder with random weights.")
    ] = False,
    weights: Annotated[
        Path | None,
        typer.Option("--weights", help="Local .safetensors weights of the encoder instead of the Hugging Face Hub."),
    ] = None,
    embeddings: Annotated[
        Path | None,
        typer.Option("--embeddings", help="Tier 1: score an existing embedding folder EMB/<key> instead of embedding."),
    ] = None,
    task: Annotated[
        list[str] | None, typer.Option("--task", help="Task name (manifests/benchmarks) or YAML path; repeatable.")
    ] = None,
    tiers: Annotated[
        str, typer.Option("--tiers", help="Comma-separated tiers: 1 (spot, atlas), 2 (slide) and 3 (patient) (cohort).")
    ] = "1",
    cohort: Annotated[
        Path | None,
        typer.Option("--cohort", help="Cohort folder (`stamp-bench fetch-cohort`): the slides of tiers 2 and 3."),
    ] = None,
    features: Annotated[
        Path | None,
        typer.Option("--features", help="Slide feature root for tiers 2-3 (default: the cache folder's slides/)."),
    ] = None,
    protocol: Annotated[
        str, typer.Option("--protocol", help="Tier-1 protocol: `default`, or `hest` (HEST-Benchmark's).")
    ] = "default",
    out: Annotated[Path, typer.Option("--out", help="Results folder (one JSON per entry and task).")] = Path("results"),
    cache: Annotated[
        Path | None, typer.Option("--cache", help="Embedding cache folder (default: OUT/embeddings).")
    ] = None,
    baselines: Annotated[  # noqa: FBT002  (a CLI flag)
        bool,
        typer.Option("--baselines/--no-baselines", help="Also score the random-weights and colour/texture baselines."),
    ] = True,
    device: Annotated[str, typer.Option("--device", help="Embedding device: auto, cpu, cuda.")] = "auto",
    batch_size: Annotated[int, typer.Option("--batch-size", help="Embedding batch size.")] = 64,
) -> None:
    """Run the benchmark tiers for one encoder (optionally with a STAMP adapter) and its two baselines.

    Tier 1 (atlas) per task: standardise -> PCA(256, fit on train) -> ridge (alpha by inner patient CV), Pearson
    per target on held-out patients; pathways beside matched random gene sets.

    Tiers 2 (slide status, slide pathway activity) and 3 (survival) run on a cohort folder (--cohort): its slides
    are embedded once per entry (`stamp embed-slides`, cached under --features), then mean-pooled linear probes
    and ABMIL are scored over patient folds (AUROC, Pearson beside random sets, C-index). Without --task, every
    shipped task of the requested tiers is run (tier 1: demo-spot; tiers 2-3: those written for the cohort).

    Every interval says what it resamples: patients (at least 5), else spatial blocks within patients (tier 1)
    or none.
    """
    from benchmarks.errors import BenchmarkError
    from benchmarks.runner import cache_kind, entries_for
    from benchmarks.slide.runner import run_slide_benchmark, slide_tasks_for
    from benchmarks.spot.runner import run_benchmark
    from benchmarks.spot.task import Task
    from benchmarks.tasks import load_any_task
    from benchmarks.terminal_tables import print_outcomes, print_results
    from benchmarks.tiers import get_tier, parse_tiers
    from humanst.errors import HubError
    from stamp.hub import resolve_adapter

    with cli_errors(BenchmarkError, HubError, OSError):
        wanted = parse_tiers(tiers)
        for number in wanted:
            get_tier(number, protocol if number == 1 else "default")
        loaded = [load_any_task(t) for t in task or []]
        spot_tasks = [t for t in loaded if isinstance(t, Task)] if task else [load_any_task("demo-spot")]
        slide_wanted = [n for n in wanted if n > 1]
        if slide_wanted and cohort is None:
            msg = f"tier(s) {slide_wanted} run on a cohort folder: pass --cohort DIR (`stamp-bench fetch-cohort`)"
            raise BenchmarkError(msg)
        runs = (
            []
            if embeddings is not None
            else entries_for(
                encoder, adapter=resolve_adapter(adapter), random_init=random_init, baselines=baselines, weights=weights
            )
        )
        cache_root = cache or out / "embeddings"
        written = []
        if 1 in wanted:
            written += run_benchmark(
                atlas, [t for t in spot_tasks if isinstance(t, Task) and t.tier == 1], protocol=protocol, runs=runs,
                caches=[(embeddings, cache_kind(embeddings))] if embeddings is not None else [],
                out=out, cache_root=cache_root, device=device, batch_size=batch_size,
            )  # fmt: skip
        slide_written = []
        if slide_wanted and cohort is not None:
            chosen = slide_tasks_for(cohort, slide_wanted, [t for t in loaded if not isinstance(t, Task)] or None)
            slide_written = run_slide_benchmark(
                cohort, chosen, runs=runs, out=out, feature_root=features or cache_root / "slides", device=device,
                batch_size=batch_size,
            )  # fmt: skip
    if written:
        print_results([r for r, _ in written])
    if slide_written:
        print_outcomes([r for r, _ in slide_written])
    for _, path in [*written, *slide_written]:
        console.print(f"wrote {path}", highlight=False)


@app.command()
def compare(
    results: Annotated[
        list[Path],
        typer.Argument(help="Result files or folders, two or more (e.g. base, aligned, random-aligned control)."),
    ],
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples (patients or tissue tiles).")] = 2000,
) -> None:
    """Compare result sets: every pair (B listed after A), B - A with a paired interval, per task.

    Folders contribute their model results (baselines skipped); results must share the split hash. With at least
    the task's min_patients (5) shared patients: a paired bootstrap over patients. With fewer: the per-patient
    differences and a paired spatial block bootstrap of B - A over the same tissue tiles (within these patients'
    tissue, paired, no population claim). A folder holding replicate seeds of one fit (`stamp fit --seeds`) is
    compared seed by seed: the interval of the seed-averaged difference beside the mean and sd over seeds.

    Tiers 2-3: per probe, the primary metric (AUROC, Pearson, C-index) of both, recomputed from the kept
    out-of-fold predictions on the same patient resamples (paired bootstrap of B - A).
    """
    from benchmarks.compare_sets import compare_all
    from benchmarks.errors import BenchmarkError

    with cli_errors(BenchmarkError):
        if len(results) < 2:
            msg = f"compare needs two or more result sets; got {len(results)}"
            raise BenchmarkError(msg)
        compare_all(results, n_boot=n_boot)


@app.command()
def headroom(
    base: Annotated[Path, typer.Argument(help="The base encoder's tier-1 result (file or folder).")],
    ceiling: Annotated[Path, typer.Argument(help="The ceiling: the base fine-tuned on the programme alone.")],
    models: Annotated[list[Path], typer.Argument(help="Results to place between them (aligned, random-aligned).")],
    pathway: Annotated[str, typer.Option("--pathway", "-p", help="The programme's pathway, e.g. a Hallmark name.")],
    task: Annotated[str | None, typer.Option("--task", help="Task, when the results hold several.")] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Tile-bootstrap replicates.")] = 1000,
) -> None:
    """Fraction of headroom recovered for one programme: (model - base) / (ceiling - base) on held-out patients.

    All encoders are scored on the same tiles of the held-out patients' spots in every replicate (a paired spatial
    block bootstrap: within these patients' tissue, no population claim); replicate seeds are averaged and each
    seed's own fraction is listed. See docs/positive-control.md.
    """
    from benchmarks.errors import BenchmarkError
    from benchmarks.spot.headroom import headroom as measure
    from benchmarks.spot.headroom import headroom_markdown

    with cli_errors(BenchmarkError):
        table = measure(base, ceiling, models, pathway=pathway, task=task, n_boot=n_boot)
        console.print(headroom_markdown(table), highlight=False, markup=False)


@app.command()
def report(
    results: Annotated[
        list[Path], typer.Argument(help="Result folders or files (`stamp-bench run --out`): base, aligned, baselines.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Report folder: index.html and PNG figures.")] = Path("report"),
    atlas: Annotated[
        Path | None, typer.Option("--atlas", help="The results' atlas: spatial maps and the build summary.")
    ] = None,
    cohort: Annotated[
        Path | None,
        typer.Option("--cohort", help="Cohort folder of the tier-2/3 results: slide thumbnails for the heatmaps."),
    ] = None,
    run: Annotated[
        list[Path] | None, typer.Option("--run", help="`stamp fit` run folder of an aligned result; repeatable.")
    ] = None,
    pathway: Annotated[
        list[str] | None, typer.Option("--pathway", help="Pathway always mapped and summarised; repeatable.")
    ] = None,
    n_boot: Annotated[int, typer.Option("--n-boot", help="Bootstrap resamples over patients.")] = 2000,
) -> None:
    """Write a static HTML report (OUT/index.html + PNGs) of every tier, opening with the verdict table.

    A is the first model result without an adapter (the base encoder); B is every other model result. The verdict:
    per task, probe and target, B - A with its interval, the controls (random sets, negative-control tasks) beside.

    Tiers 2-3: ROC curves with a patient-bootstrap band (status), Kaplan-Meier curves of predicted risk groups with
    numbers at risk and the log-rank test (survival), predicted vs measured activity per pathway; with --cohort,
    heatmaps of each probe's per-tile scores (ABMIL attention, linear score) on the slides.

    Per pathway: B - A Pearson over held-out patients (paired-bootstrap CI; per patient, no CI, below 5 patients)
    beside its matched random set's.

    With --atlas: maps of measured vs predicted activity on each held-out sample's H&E, and the build summary.

    With --run: training curves (metrics.csv) and the run card. The page has no script and no external asset.
    """
    from benchmarks.report.command import run_report

    run_report(results, out, atlas=atlas, cohort=cohort, runs=run or [], pathways=pathway or [], n_boot=n_boot)


@app.command()
def submit(
    path: Annotated[
        Path, typer.Argument(help="Results JSON / folder, or an embeddings folder (model_card.json + safetensors).")
    ],
    leaderboard: Annotated[Path, typer.Option("--leaderboard", help="Leaderboard folder.")] = Path("leaderboard"),
    atlas: Annotated[
        Path | None, typer.Option("--atlas", help="Leaderboard atlas: scores embeddings, re-verifies hashes.")
    ] = None,
    task: Annotated[
        str, typer.Option("--task", help="Task an embeddings submission is scored on, or a tier-2/3 task file.")
    ] = "demo-spot",
    protocol: Annotated[str, typer.Option("--protocol", help="Tier-1 protocol for embeddings.")] = "default",
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="The evaluator's own embedding cache: results reproduced from it are verified."),
    ] = None,
    submitter: Annotated[
        str | None,
        typer.Option("--submitter", help="Who submits (set by the evaluator); a name belongs to its first submitter."),
    ] = None,
    cohort: Annotated[
        Path | None, typer.Option("--cohort", help="Tiers 2-3: the cohort folder the results were computed on.")
    ] = None,
    features: Annotated[
        Path | None,
        typer.Option("--features", help="Tiers 2-3: the evaluator's slide features; results reproduced are verified."),
    ] = None,
) -> None:
    """Validate a data-only submission and add it to a leaderboard folder as a new entry (nothing is replaced).

    A results file is checked against its digest, its summaries are recomputed from its per-patient and
    per-target values, and its task (and, with --atlas, atlas, split, patients and counts) must match what is
    recomputed here; reproduced from --cache it is verified, otherwise self-reported. A tier-2/3 result's metrics
    and counts are recomputed from its out-of-fold predictions; reproduced from --features on --cohort it is
    verified. Embeddings are checked
    (names, sizes, no pickles, shapes, finite values) and scored by the evaluator (verified). A name taken by
    another submitter is refused; the same submitter adds a new version. Nothing from a submission is executed.
    """
    from benchmarks.errors import BenchmarkError
    from benchmarks.leaderboard.submit import submit as do_submit

    with cli_errors(BenchmarkError):
        entries = do_submit(
            path, leaderboard, atlas=atlas, task=task, protocol=protocol, cache=cache, submitter=submitter,
            cohort=cohort, features=features,
        )  # fmt: skip
    for entry in entries:
        record = entry.record
        where = leaderboard / record.result_file
        console.print(
            f"accepted: {record.submission_id} ({record.verification}: {record.how}) -> {where}", highlight=False
        )


@app.command()
def leaderboard(
    folder: Annotated[
        Path, typer.Argument(help="Leaderboard folder (entries from `stamp-bench submit`) or a results folder.")
    ],
    html: Annotated[
        Path | None, typer.Option("--html", help="HTML page to write (default FOLDER/leaderboard.html).")
    ] = None,
    report: Annotated[
        list[Path] | None,
        typer.Option("--report", help="`stamp-bench report` folder: link the entries it shows to it; repeatable."),
    ] = None,
) -> None:
    """Render a leaderboard folder as leaderboard.csv, leaderboard.md and a static sortable HTML page.

    With --report, every entry a report shows links to its task's section there (relative links).
    """
    from rich.markdown import Markdown

    from benchmarks.errors import BenchmarkError
    from benchmarks.leaderboard import build_table, collect_board, render_all, render_markdown
    from benchmarks.report.links import report_links

    results, problems = collect_board(folder)
    for problem in problems:
        err_console.print(f"skipped: {problem}", markup=False, highlight=False)
    if not results:
        err_console.print(f"no valid result files in '{folder}'; add some with `stamp-bench submit`")
        raise typer.Exit(1)
    links = None
    if report:
        with cli_errors(BenchmarkError):
            links = report_links(report, (html or folder / "leaderboard.html").parent)
    table = build_table(results, reports=links)
    paths = render_all(table, folder, html_path=html)
    console.print(Markdown(render_markdown(table)))
    for kind, path in paths.items():
        console.print(f"{kind}: {path}", highlight=False)


@app.command()
def tasks() -> None:
    """List the shipped benchmark tasks of every tier (manifests/benchmarks) and the registered tiers."""
    from benchmarks.spot.task import Task
    from benchmarks.tasks import load_any_task, shipped_tasks
    from benchmarks.tiers import tier_names

    for name in shipped_tasks():
        spec = load_any_task(name)
        where = f"atlas {spec.atlas}" if isinstance(spec, Task) else f"cohort {spec.cohort}, {spec.kind}"
        console.print(f"{name}: tier {spec.tier}, {where} - {spec.description}", highlight=False)
    console.print(f"tiers: {', '.join(tier_names())}", highlight=False)


@app.command("fetch-cohort")
def fetch_cohort(
    name: Annotated[
        str, typer.Argument(help="Shipped cohort (see `stamp-bench cohorts`, e.g. tcga-coadread) or a YAML path.")
    ],
    out: Annotated[Path, typer.Option("--out", help="Cohort folder to write (cohort.json, slides/, labels/, raw/).")],
    labels_only: Annotated[  # noqa: FBT002  (a CLI flag)
        bool, typer.Option("--labels-only", help="Write the label tables; download no slide.")
    ] = False,
    max_slides_per_class: Annotated[
        int | None,
        typer.Option("--max-slides-per-class", help="Download the slides of at most N patients per class (quick run)."),
    ] = None,
    stratify: Annotated[
        str | None,
        typer.Option("--stratify", help="TABLE:COLUMN whose classes the cap applies to (default: first label column)."),
    ] = None,
    api: Annotated[
        str | None, typer.Option("--api", help="GDC API root instead of the definition's (a mirror, a test server).")
    ] = None,
) -> None:
    """Fetch a public slide cohort: label tables with their provenance, then the diagnostic slides.

    GDC cohorts: paged `files` / `cases` queries of the NCI GDC API (open access only) list the diagnostic slides,
    case records, masked somatic MAFs and STAR counts; the label tables (driver mutations, overall survival, slide
    Hallmark activity from bulk RNA-seq beside matched random sets) are written to OUT/labels with the query, data
    release and date in OUT/cohort.json. Every file is checked against the size and md5 the API gives; a rerun
    resumes partial downloads and skips verified files. TCGA diagnostic slides are large (about 0.5-2 GB each): try
    --labels-only or --max-slides-per-class first. The summary says whether widely used PFMs saw the cohort in
    pretraining.
    """
    from benchmarks.cohorts.command import run_fetch_cohort
    from benchmarks.cohorts.sources import FetchOptions
    from benchmarks.errors import CohortError

    options = FetchOptions(
        labels_only=labels_only, max_slides_per_class=max_slides_per_class, stratify=stratify, api=api
    )
    with cli_errors(CohortError, OSError):
        run_fetch_cohort(name, out, options)


@app.command()
def cohorts() -> None:
    """List the shipped cohort definitions (manifests/benchmarks/cohorts) for `stamp-bench fetch-cohort`."""
    from benchmarks.cohorts.command import list_cohorts
    from benchmarks.errors import CohortError

    with cli_errors(CohortError):
        list_cohorts()


def main() -> None:
    """Console-script entry point."""
    app()
