"""PyTorch reference for Attune's training throughput.

The same acoustic model as src-main/model/acoustic.ts (recipes/torch/model.py, built from the same config
JSON), the same CTC loss (mean reduction, zero_infinity) and AdamW with global-norm clipping,
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

# PyTorch as it trains best on a CPU: torch's own threads (one per core) each call a single-threaded BLAS. A
# multi-threaded OpenBLAS beside them oversubscribes the cores (2–3× slower steps on 2 cores).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

# The model is the PyTorch recipe's (recipes/torch/model.py), so the yardstick is what people train with.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "recipes", "torch"))
from model import AcousticModel, decay_groups  # noqa: E402


def loaded_blas():
    """Path of the BLAS library this process loaded (Debian's torch uses the installed libblas.so.3)."""
    with open("/proc/self/maps") as maps:
        paths = {line.split()[-1] for line in maps if "blas" in line.rsplit("/", 1)[-1]}
    return ", ".join(sorted(os.path.realpath(p) for p in paths)) or "none loaded"


def adamw(model, lr, weight_decay):
    """AdamW as the training loop uses it: no decay on biases and norm parameters."""
    return torch.optim.AdamW(decay_groups(model, weight_decay), lr=lr, betas=(0.9, 0.98), eps=1e-8)


def gemm_gflops(rows, k, n, reps=15):
    """One thread's matMul rate on a [rows, k] × [k, n] product, median of reps after warm-up (GFLOP/s)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    a, b = torch.randn(rows, k), torch.randn(k, n)
    for _ in range(3):
        a @ b
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        a @ b
        times.append(time.perf_counter() - started)
    torch.set_num_threads(threads)
    return 2 * rows * k * n / statistics.median(times) / 1e9


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
    ap.add_argument("--gemm", default="3200,192,192", help="ROWS,K,N of the one-thread matMul ceiling measured")
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
    gemm_shape = [int(v) for v in args.gemm.split(",")]
    report = {
        "gemmGflopsOneThread": gemm_gflops(*gemm_shape),
        "gemmShape": gemm_shape,
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
