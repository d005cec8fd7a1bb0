"""Measures the recipe's training step where it runs, and what an epoch of a corpus would take.

    python3 recipes/torch/measure.py [--model FOLDER | --config JSON] [--batch-seconds 32] [--hours 960] \
        [--processes 8]

Times the real step of train.py (forward, CTC, backward, clipping, AdamW; mixed precision on a GPU as train.py
does) on random features of a fixed batch shape, after warm-up steps, and prints one JSON object:
stepSeconds (median), audioSecondsPerSecond, the model's training FLOPs per audio second (3 × the forward
pass's, matMuls and convolutions counted by hooks), the achieved GFLOP/s, peak memory, and hoursPerEpoch for
--hours of audio spread over --processes such devices (linear scaling assumed: no data-loading or gradient
all-reduce cost, so it is a lower bound).
"""

import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import time

# On CPUs torch runs its own threads (intra-op, one per core) and each calls BLAS; a multi-threaded OpenBLAS
# would start as many again and the two sets fight over the cores (on 2 cores: 2–3× slower steps).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

import data
import folder as attune_folder
from errors import RecipeError, run_main
from features import LogMel
from model import AcousticModel, decay_groups
from train import Job, amp_dtype, complete_config


def forward_macs(model, x, lengths):
    """Multiply-adds of every convolution and linear map in one forward pass over x."""
    total = [0]

    def count(module, _inputs, output):
        if isinstance(module, nn.Conv1d):
            per_output = module.in_channels // module.groups * module.kernel_size[0]
        else:
            per_output = module.in_features
        total[0] += output.numel() * per_output

    hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Linear))]
    with torch.no_grad():
        model(x, lengths)
    for h in hooks:
        h.remove()
    return total[0]


def loading_rate(corpus, count):
    """Audio seconds per second one process reads and turns into log-mel (what a data-loading worker does)."""
    front_end = LogMel(attune_folder.DEFAULT_FEATURES)
    items = data.scan_corpus(corpus)[:count]
    started, audio = time.perf_counter(), 0.0
    for _, path, _ in items:
        samples = front_end.load(path)
        front_end(samples)
        audio += samples.numel() / front_end.sample_rate
    elapsed = time.perf_counter() - started
    return {"files": len(items), "audioSeconds": audio, "audioSecondsPerSecond": audio / elapsed,
            "threads": torch.get_num_threads()}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", help="Attune model folder whose shape to measure")
    ap.add_argument("--config", help="acoustic config JSON (default: Attune's default shape)")
    ap.add_argument("--batch-seconds", type=float, default=32.0, help="audio per step (default 32)")
    ap.add_argument("--utterance-seconds", type=float, default=4.0, help="length of each utterance (4)")
    ap.add_argument("--target-per-second", type=float, default=12.0, help="target classes per second (12)")
    ap.add_argument("--hours", type=float, default=960.0, help="corpus size for hoursPerEpoch (960)")
    ap.add_argument("--processes", type=int, default=1, help="devices the epoch is spread over (1)")
    ap.add_argument("--amp", choices=["auto", "off", "bf16", "fp16"], default="auto")
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=0, help="CPU threads (0: torch's default)")
    ap.add_argument("--corpus", help="also time reading audio and computing features on this corpus")
    ap.add_argument("--corpus-files", type=int, default=200, help="files of --corpus to time (200)")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    if args.model:
        model = attune_folder.load_model(args.model)[0]
    else:
        try:
            cfg = complete_config(json.loads(args.config or "{}"))
        except json.JSONDecodeError as err:
            raise RecipeError(f"--config is not valid JSON ({err})") from None
        model = AcousticModel(cfg)
    job = Job()
    device, dtype = job.device, amp_dtype(args, job)
    model.to(device).train()
    cfg = model.cfg
    fps = 1000 / cfg["hopMs"]
    frames = int(args.utterance_seconds * fps)
    batch = max(1, int(args.batch_seconds / args.utterance_seconds))
    x = torch.randn(batch, frames, cfg["featureBins"], device=device)  # [B, T, F]
    lengths = torch.full((batch,), frames, dtype=torch.long, device=device)
    target_len = int(args.utterance_seconds * args.target_per_second)
    targets = torch.randint(1, cfg["vocabSize"], (batch * target_len,), device=device)
    target_lengths = torch.full((batch,), target_len, dtype=torch.long, device=device)
    opt = torch.optim.AdamW(decay_groups(model, 1e-3), lr=1e-4, betas=(0.9, 0.98), eps=1e-8)
    scaler = torch.cuda.amp.GradScaler(enabled=dtype == torch.float16)
    macs = forward_macs(model, x, lengths)

    def step():
        with torch.autocast("cuda", dtype=dtype) if dtype else contextlib.nullcontext():
            logits, out_lengths = model(x, lengths)  # [B, T', V]
        log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # [T', B, V]
        loss = F.ctc_loss(log_probs, targets, out_lengths, target_lengths, reduction="mean", zero_infinity=True)
        opt.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(opt)
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        scaler.step(opt)
        scaler.update()
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(args.warmup):
        step()
    times = []
    for _ in range(args.steps):
        started = time.perf_counter()
        step()
        times.append(time.perf_counter() - started)
    median = statistics.median(times)
    audio = batch * args.utterance_seconds
    flops_per_audio_second = 3 * 2 * macs / audio
    throughput = audio / median
    memory = (torch.cuda.max_memory_allocated(device) if device.type == "cuda"
              else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
    print(json.dumps({
        "device": (torch.cuda.get_device_name(device) if device.type == "cuda"
                   else f"cpu ({torch.get_num_threads()} threads)"),
        "amp": str(dtype),
        "parameters": sum(p.numel() for p in model.parameters()),
        "batch": {"utterances": batch, "seconds": audio},
        "stepSeconds": median,
        "audioSecondsPerSecond": throughput,
        "trainingFlopsPerAudioSecond": flops_per_audio_second,
        "achievedGflops": flops_per_audio_second * throughput / 1e9,
        "peakMemoryBytes": memory,
        "hoursPerEpoch": args.hours * 3600 / (throughput * args.processes) / 3600,
        "epoch": {"hours": args.hours, "processes": args.processes},
        "torchVersion": torch.__version__,
        **({"dataLoading": loading_rate(args.corpus, args.corpus_files)} if args.corpus else {}),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
