"""``humanst validate-manifest``: check a manifest against the schema, every problem listed."""

from __future__ import annotations

from humanst.cli._app import AbsolutePathsOpt, ManifestArg, app
from humanst.console import cli_errors, console


@app.command("validate-manifest")
def validate_manifest(
    manifest: ManifestArg,
    allow_absolute_paths: AbsolutePathsOpt = False,  # noqa: FBT002  (a CLI flag)
) -> None:
    """Check a manifest against the schema; every problem is listed with its sample and field.

    A relative 'path' that climbs out of the data root with '..' is refused; absolute paths (and an absolute
    data_root) only with --allow-absolute-paths, as in `humanst build`.
    """
    from humanst.errors import ManifestError
    from humanst.fetch.local import absolute_path_problems
    from humanst.manifest import load_manifest

    with cli_errors():
        atlas = load_manifest(manifest)
        if not allow_absolute_paths:
            files = [
                (f"sample '{s.id}' field 'files[{i}].path'", f.path)
                for s in atlas.samples
                for i, f in enumerate(s.files)
                if f.path is not None
            ]
            problems = absolute_path_problems(atlas.data_root, files)
            if problems:
                raise ManifestError(manifest, problems)
    platforms = sorted({s.platform.value for s in atlas.samples})
    patients = {s.patient_id for s in atlas.samples}
    console.print(
        f"[bold green]valid[/] manifest '{manifest}': atlas {atlas.name!r} v{atlas.version}, "
        f"{len(atlas.samples)} samples, {len(patients)} patients, platforms: {', '.join(platforms)}",
        highlight=False,
    )
