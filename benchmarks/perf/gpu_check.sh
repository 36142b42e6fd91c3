#!/usr/bin/env bash
# GPU check of STAMP training (issue: STAMP alignment). One prepared run, under 5 minutes on one H100/H200:
#   LoRA on timm:vit_large_patch16_224 (random init), bf16 autocast, 100 steps at batch 256,
#   first on synthetic tensors already on the GPU, then through `stamp fit`'s loader on the demo atlas.
# Prints img/s, peak GPU memory and MFU for each. Installs nothing beyond the project (`make setup`).
set -euo pipefail
cd "$(dirname "$0")/../.."
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1
make -s setup
PY=.venv/bin/python
$PY - <<'PY'
import torch
print("torch", torch.__version__, "cuda", torch.version.cuda, "device", torch.cuda.get_device_name(0))
PY
$PY -m benchmarks.perf.gpu_train --mode synthetic --steps 100 --batch-size 256
if [ ! -f demo_out/atlas/hf/humanst.json ]; then
  .venv/bin/humanst synth manifests/demo.yaml --out demo_out/raw --workers 8 >/dev/null
  .venv/bin/humanst build manifests/demo.yaml --out demo_out/atlas --workers 8 >/dev/null
fi
$PY -m benchmarks.perf.gpu_train --mode atlas --atlas demo_out/atlas --steps 100 --batch-size 256 --workers 12
