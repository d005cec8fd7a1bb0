"""PyTorch reference for Attune's training throughput.

The same acoustic model as src-main/model/acoustic.ts (same layer sizes, padding and look-ahead, built from
the same config JSON), the same CTC loss (mean reduction, zero_infinity) and AdamW with global-norm clipping,
timed over the same batch shape on the CPU. bench/run.ts runs it and compares throughputs:

    /usr/bin/python3 bench/torch_reference.py --config '<AcousticConfig JSON>' --expected-params 977949

Prints one JSON line: {"audioSecondsPerSecond", "stepSeconds", "params", "threads", "torchVersion", "blas",
...}.
Throughput is taken at the median step time, as on a shared machine a few steps can stall behind other work.
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from torch import nn



def pad_time(x, left, right):
    """Zero-pads the time axis of x [B, T, C]."""
    return F.pad(x, (0, 0, left, right)) if left or right else x


def time_mask(lengths, T):
    """[B, T, 1]: 1 inside each utterance."""
    return (torch.arange(T)[None, :] < lengths[:, None]).unsqueeze(-1).float()


def conv_out(frames, kernel, stride, left, right):
    padded = frames + left + right
    return 0 if padded < kernel else (padded - kernel) // stride + 1


class Depthwise(nn.Module):
    """Depthwise 1-D conv over already padded [B, Tp, C] input, no bias (as the tfjs model)."""

    def __init__(self, channels, kernel, stride):
        super().__init__()
        self.conv = nn.Conv1d(channels, channels, kernel, stride=stride, groups=channels, bias=False)

    def forward(self, x):  # [B, Tp, C] → [B, T', C]
        return self.conv(x.transpose(1, 2)).transpose(1, 2)


class Block(nn.Module):
    """x + dropout(ReLU(LN(pointwise(depthwise_k(x))))) over input padded with its left/right context."""

    def __init__(self, cfg, right):
        super().__init__()
        C, K = cfg["channels"], cfg["kernel"]
        self.left, self.right = K - 1 - right, right
        self.depthwise = Depthwise(C, K, 1)
        self.pointwise = nn.Linear(C, C)
        self.norm = nn.LayerNorm(C, eps=cfg["layerNormEps"])
        self.dropout = nn.Dropout(cfg["dropout"])

    def forward(self, x):  # [B, T, C]
        y = self.depthwise(pad_time(x, self.left, self.right))
        return x + self.dropout(torch.relu(self.norm(self.pointwise(y))))


class AcousticModel(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        C, Fb, K = cfg["channels"], cfg["featureBins"], cfg["subsampleKernel"]
        rc = cfg["subsampleRightContext"]
        self.cfg = cfg
        self.sub_pad = (K - 1 - rc, rc)
        # Subsampling: a full conv (the tfjs model's stacked-frame matMul), then depthwise and pointwise,
        # with the strides of the config.
        self.strides = cfg["subsampleStrides"]
        self.sub0 = nn.Conv1d(Fb, C, K, stride=self.strides[0])
        self.sub1_depthwise = Depthwise(C, K, self.strides[1])
        self.sub1_pointwise = nn.Linear(C, C)
        self.blocks = nn.ModuleList(Block(cfg, r) for r in cfg["blockRightContext"])
        self.head_norm = nn.LayerNorm(C, eps=cfg["layerNormEps"])
        self.head = nn.Linear(C, cfg["vocabSize"])
        self.register_buffer("mean", torch.zeros(Fb))
        self.register_buffer("inv_std", torch.ones(Fb))

    def forward(self, x, lengths):  # x [B, T, F] → logits [B, T/S, V], output lengths
        K = self.cfg["subsampleKernel"]
        left, right = self.sub_pad
        h = (x - self.mean) * self.inv_std * time_mask(lengths, x.shape[1])
        h = pad_time(h, left, right).transpose(1, 2)  # [B, F, Tp]
        h = torch.relu(self.sub0(h)).transpose(1, 2)  # [B, T/s0, C]
        lengths = (lengths + left + right - K) // self.strides[0] + 1
        h = h * time_mask(lengths, h.shape[1])
        h = torch.relu(self.sub1_pointwise(self.sub1_depthwise(pad_time(h, left, right))))  # [B, T/S, C]
        lengths = (lengths + left + right - K) // self.strides[1] + 1
        h = h * time_mask(lengths, h.shape[1])
        for block in self.blocks:
            h = block(h) * time_mask(lengths, h.shape[1])
        return self.head(self.head_norm(h)), lengths


def loaded_blas():
    """Path of the BLAS library this process loaded (Debian's torch uses the installed libblas.so.3)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "none loaded"


def adamw(model, lr, weight_decay):
    """AdamW as the training loop uses it: no decay on biases and norm parameters."""
    decay, plain = [], []
    for name, p in model.named_parameters():
        (plain if name.endswith("bias") or "norm" in name else decay).append(p)
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": plain, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.98), eps=1e-8)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="AcousticConfig as JSON (src-main/model/config.ts)")
    ap.add_argument("--expected-params", type=int, required=True, help="parameter count of the tfjs model")
    ap.add_argument("--expected-output-frames", type=int, help="output frames of the tfjs model for --frames")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--frames", type=int, default=400, help="feature frames per utterance")
    ap.add_argument("--min-target", type=int, default=40, help="shortest random target, characters")
    ap.add_argument("--max-target", type=int, default=50, help="longest random target, characters")
    ap.add_argument("--blank", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    cfg = json.loads(args.config)
    model = AcousticModel(cfg)
    params = sum(p.numel() for p in model.parameters())
    assert params == args.expected_params, (
        f"PyTorch model has {params} parameters, the tfjs one {args.expected_params}"
    )

    B, T = args.batch, args.frames
    x = torch.randn(B, T, cfg["featureBins"])  # [B, T, F]
    lengths = torch.full((B,), T, dtype=torch.long)
    target_lengths = torch.randint(args.min_target, args.max_target + 1, (B,))
    classes = torch.tensor([c for c in range(cfg["vocabSize"]) if c != args.blank])
    targets = classes[torch.randint(len(classes), (int(target_lengths.sum()),))]  # concatenated
    opt = adamw(model, lr=2e-3, weight_decay=1e-3)
    model.train()

    def step():
        logits, out_lengths = model(x, lengths)  # [B, T', V]
        if args.expected_output_frames is not None:
            got = logits.shape[1]
            expected = args.expected_output_frames
            assert got == expected, f"{got} output frames, the tfjs model gives {expected}"
        log_probs = F.log_softmax(logits, dim=-1).transpose(0, 1)  # [T', B, V]
        loss = F.ctc_loss(
            log_probs,
            targets,
            out_lengths,
            target_lengths,
            blank=args.blank,
            reduction="mean",
            zero_infinity=True,
        )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        return loss.item()

    for _ in range(args.warmup):
        step()
    times = []
    loss = float("nan")
    for _ in range(args.steps):
        started = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    audio_seconds = B * T * cfg["hopMs"] / 1000
    report = {
        "audioSecondsPerSecond": audio_seconds / median,
        "stepSeconds": median,
        "allStepSeconds": times,
        "params": params,
        "threads": torch.get_num_threads(),
        "torchVersion": torch.__version__,
        "blas": loaded_blas(),
        "lastLoss": loss,
        "maxRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
