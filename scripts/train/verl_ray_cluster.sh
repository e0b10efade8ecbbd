#!/usr/bin/env bash
# VideoSSR GRPO with the verl engine (the paper's) on a Ray cluster of NODES machines with 8 GPUs each.
# Every node: the same environment (pip install 'viubench[verl]' vllm) and the dataset and OUT at the
# same absolute paths. Start Ray first:
#   head:    ray start --head --port 6379
#   others:  ray start --address HEAD_IP:6379
# Then on the head: scripts/train/verl_ray_cluster.sh MODEL DATASET_DIR OUT_DIR [NODES]
set -euo pipefail
model=$1 data=$2 out=$3 nodes=${4:-1}
here=$(dirname "$0")
# writes OUT/verl/{train,val}.parquet and viubench_grpo.yaml, checks them with verl, prints the command
viubench train --engine verl --dry-run --model "$model" --data "$data" --config "$here/videossr_recipe.yaml" \
  --out "$out" --nnodes "$nodes" --gpus-per-node 8 --resume
viubench train --engine verl --model "$model" --data "$data" --config "$here/videossr_recipe.yaml" \
  --out "$out" --nnodes "$nodes" --gpus-per-node 8 --resume
