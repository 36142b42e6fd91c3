"""``humanst validate-manifest``: check a manifest against the schema, every problem listed."""

from __future__ import annotations

from humanst.cli._app import ManifestArg, app
from humanst.console import cli_errors, console


@app.command("validate-manifest")
def validate_manifest(manifest: ManifestArg) -> None:
    """Check a manifest against the schema; every problem is listed with its sample and field."""
    from humanst.manifest import load_manifest

    with cli_errors():
        atlas = load_manifest(manifest)
    platforms = sorted({s.platform.value for s in atlas.samples})
    patients = {s.patient_id for s in atlas.samples}
    console.print(
        f"[bold green]valid[/] manifest '{manifest}': atlas {atlas.name!r} v{atlas.version}, "
        f"{len(atlas.samples)} samples, {len(patients)} patients, platforms: {', '.join(platforms)}",
        highlight=False,
    )
