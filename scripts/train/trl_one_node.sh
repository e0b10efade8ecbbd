#!/usr/bin/env bash
# VideoSSR GRPO with the trl engine on one node's GPUs (one process per GPU), then the scores.
# Usage: scripts/train/trl_one_node.sh MODEL DATASET_DIR OUT_DIR [GPUS]
set -euo pipefail
model=$1 data=$2 out=$3 gpus=${4:-8}
here=$(dirname "$0")
accelerate launch --num_processes "$gpus" --mixed_precision bf16 -m viubench.cli train \
  --model "$model" --data "$data" --config "$here/videossr_recipe.yaml" --out "$out" --resume
viubench eval --model "hf:$out" --tasks viubench --out runs
