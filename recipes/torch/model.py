"""Attune's streaming acoustic model in PyTorch, built from the same config JSON as the tfjs model.

    features [B, T, F] ─ normalise ─ conv k s0 ─ ReLU ─ depthwise k s1 + pointwise ─ ReLU
      ─ N × [ x + dropout(ReLU(LN(pointwise(depthwise_k(x))))) ] ─ LN ─ linear ─ logits [B, T/S, V]

Every time convolution is "valid" over input padded with (kernel − 1 − right) past frames and `right` future
frames (the config's look-ahead), and frames past an utterance's length are zeroed after every layer, exactly
as src-main/model/acoustic.ts does: an utterance gets the same logits in any batch as alone, and the same
logits as in Attune (folder.py maps the weights between the two layouts).
"""

import torch
import torch.nn.functional as F
from torch import nn


# The most audio an output frame may wait for when streaming (src-main/model/config.ts MAX_LOOK_AHEAD_MS).
MAX_LOOK_AHEAD_MS = 200


def look_ahead_ms(cfg):
    """Future audio one output frame depends on, ms: each convolution's right context at its frame rate."""
    ms, frame_ms = 0.0, cfg["hopMs"]
    for stride in cfg["subsampleStrides"]:
        ms += cfg["subsampleRightContext"] * frame_ms
        frame_ms *= stride
    return ms + sum(cfg["blockRightContext"]) * frame_ms


def config_problems(cfg):
    """What makes a config unbuildable, as Attune's configProblems words it (empty when fine)."""
    problems = []
    for key in ("featureBins", "vocabSize", "channels", "subsampleKernel", "blocks", "kernel"):
        if not isinstance(cfg.get(key), int) or cfg[key] <= 0:
            problems.append(f"{key} must be a positive integer, got {cfg.get(key)}")
    if problems:
        return problems
    right = cfg.get("blockRightContext")
    if not isinstance(right, list) or len(right) != cfg["blocks"]:
        problems.append(f"blockRightContext needs one entry per block ({cfg['blocks']})")
    elif any(not isinstance(r, int) or r < 0 or r >= cfg["kernel"] for r in right):
        problems.append("blockRightContext entries must be integers in [0, kernel)")
    strides = cfg.get("subsampleStrides")
    if not isinstance(strides, list) or len(strides) != 2 or any(
            not isinstance(v, int) or v < 1 or v > cfg["subsampleKernel"] for v in strides):
        problems.append("subsampleStrides needs 2 integers in [1, subsampleKernel]")
    if not isinstance(cfg.get("subsampleRightContext"), int) or not (
            0 <= cfg["subsampleRightContext"] < cfg["subsampleKernel"]):
        problems.append("subsampleRightContext must be an integer in [0, subsampleKernel)")
    if not 0 <= cfg.get("dropout", -1) < 1:
        problems.append(f"dropout must be in [0, 1), got {cfg.get('dropout')}")
    return problems


def pad_time(x, left, right):
    """Zero-pads the time axis of x [B, T, C] → [B, left + T + right, C]."""
    return F.pad(x, (0, 0, left, right)) if left or right else x


def time_mask(lengths, frames):
    """[B, frames, 1]: 1 inside each utterance, 0 in its padding."""
    steps = torch.arange(frames, device=lengths.device)
    return (steps[None, :] < lengths[:, None]).unsqueeze(-1)


def conv_out(lengths, kernel, stride, left, right):
    """Output lengths of a padded valid convolution (Attune's convOutputFrames); lengths is a tensor."""
    padded = lengths + left + right
    return torch.where(padded < kernel, torch.zeros_like(padded), (padded - kernel) // stride + 1)


class Depthwise(nn.Module):
    """Depthwise 1-D convolution over already padded [B, Tp, C] input, no bias (as the tfjs model)."""

    def __init__(self, channels, kernel, stride):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, stride=stride, groups=channels, bias=False)

    def forward(self, x):  # [B, Tp, C] → [B, T', C]
        return self.conv(x.transpose(1, 2)).transpose(1, 2)


class Block(nn.Module):
    """x + dropout(ReLU(LN(pointwise(depthwise_k(x))))) over input padded with its left and right context."""

    def __init__(self, cfg, right):
        super().__init__()
        channels, kernel = cfg["channels"], cfg["kernel"]
        self.left, self.right = kernel - 1 - right, right
        self.depthwise = Depthwise(channels, kernel, 1)
        self.pointwise = nn.Linear(channels, channels)
        self.norm = nn.LayerNorm(channels, eps=cfg["layerNormEps"])
        self.dropout = nn.Dropout(cfg["dropout"])

    def forward(self, x):  # [B, T, C] → [B, T, C]
        y = self.depthwise(pad_time(x, self.left, self.right))
        return x + self.dropout(torch.relu(self.norm(self.pointwise(y))))


class AcousticModel(nn.Module):
    """The tfjs AcousticModel's layers under PyTorch names; `mean` and `inv_std` are its feature stats."""

    def __init__(self, cfg):
        super().__init__()
        problems = config_problems(cfg)
        if problems:
            raise ValueError(f"bad model config: {'; '.join(problems)}")
        channels, bins, kernel = cfg["channels"], cfg["featureBins"], cfg["subsampleKernel"]
        right = cfg["subsampleRightContext"]
        self.cfg = dict(cfg)
        self.sub_pad = (kernel - 1 - right, right)
        self.strides = list(cfg["subsampleStrides"])
        # Subsampling: a full convolution (the tfjs model's stacked-frame matMul), then a depthwise and a
        # pointwise one, with the config's strides.
        self.subsample0 = nn.Conv1d(bins, channels, kernel, stride=self.strides[0])
        self.subsample1_depthwise = Depthwise(channels, kernel, self.strides[1])
        self.subsample1_pointwise = nn.Linear(channels, channels)
        self.blocks = nn.ModuleList(Block(cfg, r) for r in cfg["blockRightContext"])
        self.head_norm = nn.LayerNorm(channels, eps=cfg["layerNormEps"])
        self.head = nn.Linear(channels, cfg["vocabSize"])
        # Normalisation stats are part of the model (a folder carries them) but never trained.
        self.register_buffer("mean", torch.zeros(bins))
        self.register_buffer("std", torch.ones(bins))  # kept as given: 1 / (1 / std) need not be std again
        self.register_buffer("inv_std", torch.ones(bins))

    def set_stats(self, mean, std):
        """Per-bin feature mean and std ([F] each); the inverse is taken in float32 as Attune does."""
        std = torch.as_tensor(std, dtype=torch.float32)
        if torch.any(~(std > 0)):
            raise ValueError("feature stats: every std must be > 0")
        self.mean.copy_(torch.as_tensor(mean, dtype=torch.float32))
        self.std.copy_(std)
        self.inv_std.copy_(1.0 / std)

    def output_lengths(self, lengths):
        """Output frames for input lengths (a tensor), as Attune's outputFrames."""
        kernel = self.cfg["subsampleKernel"]
        left, right = self.sub_pad
        for stride in self.strides:
            lengths = conv_out(lengths, kernel, stride, left, right)
        return lengths

    def forward(self, x, lengths):
        """x [B, T, F] raw features, lengths [B] → logits [B, T', V] and output lengths [B]."""
        kernel = self.cfg["subsampleKernel"]
        left, right = self.sub_pad
        h = (x - self.mean) * self.inv_std * time_mask(lengths, x.shape[1])  # [B, T, F]
        h = pad_time(h, left, right).transpose(1, 2)  # [B, F, Tp]
        h = torch.relu(self.subsample0(h)).transpose(1, 2)  # [B, T/s0, C]
        lengths = conv_out(lengths, kernel, self.strides[0], left, right)
        h = h * time_mask(lengths, h.shape[1])
        h = self.subsample1_depthwise(pad_time(h, left, right))  # [B, T/S, C]
        h = torch.relu(self.subsample1_pointwise(h))
        lengths = conv_out(lengths, kernel, self.strides[1], left, right)
        h = h * time_mask(lengths, h.shape[1])
        for block in self.blocks:
            h = block(h) * time_mask(lengths, h.shape[1])  # [B, T/S, C]
        return self.head(self.head_norm(h)), lengths  # [B, T/S, V]


def decay_groups(model, weight_decay):
    """AdamW parameter groups as Attune trains: no decay on biases and norm parameters."""
    decay, plain = [], []
    for name, p in model.named_parameters():
        (plain if name.endswith("bias") or "norm" in name else decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": plain, "weight_decay": 0.0}]
