"""Trains an Attune acoustic model with PyTorch, on one machine or many, and writes an Attune model folder.

    torchrun --nproc_per_node N recipes/torch/train.py --train CORPUS [--train CORPUS2 ...] --dev DEV \
        --run runs/NAME (--init MODEL_FOLDER | --config ACOUSTIC.json) --steps S --out models/NAME

One process per GPU (NCCL), or per CPU core group (gloo) where there is no GPU; `python3 train.py …` alone is a
run of one. The model, the log-mel front end, the CTC loss and AdamW with its schedule are Attune's own
(model.py, features.py; src-main/training/optimizer.ts), so a model trained here fine-tunes on-device in Attune
and the other way round. The run folder holds checkpoint.pt (the latest: weights, optimizer, data position),
best.pt (best dev CER), log.jsonl and the training manifest; running the same command again resumes.
"""

import argparse
import contextlib
import json
import math
import os
import random
import shlex
import signal
import sys
import time

# On CPUs torch runs its own threads (intra-op, one per core) and each calls BLAS; a multi-threaded OpenBLAS
# would start as many again and the two sets fight over the cores (on 2 cores: 2–3× slower steps).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import data
from augment import SpecAugmentConfig, spec_augment
import folder as attune_folder
from errors import RecipeError, run_main
from export import export_run
from features import check_features
from model import MAX_LOOK_AHEAD_MS, AcousticModel, decay_groups, look_ahead_ms


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--train", action="append", required=True, help="LibriSpeech-layout corpus (repeatable)")
    ap.add_argument("--dev", action="append", default=[], help="held-out corpus scored every --eval-every")
    ap.add_argument("--run", required=True, help="run folder: checkpoints and log; an existing one resumes")
    start = ap.add_mutually_exclusive_group()
    start.add_argument("--init", help="Attune model folder to start from (its shape, tokens, stats, weights)")
    start.add_argument("--config", help="acoustic config JSON (file or text) of a fresh model")
    ap.add_argument("--tokens", help="tokens.txt of a fresh model (default: Attune's English letters)")
    ap.add_argument("--dictionary", help="pronunciations.dict spelling a fresh phone model's transcripts")
    ap.add_argument("--out", help="write the best model here as an Attune model folder when done")
    ap.add_argument("--steps", type=int, default=20000, help="optimizer steps in all (default 20000)")
    ap.add_argument("--batch-seconds", type=float, default=32.0,
                    help="padded audio per process per step, seconds (default 32)")
    ap.add_argument("--max-utterances", type=int, default=32, help="utterances per batch at most (default 32)")
    ap.add_argument("--max-seconds", type=float, default=20.0, help="longer utterances are left out (default 20)")
    ap.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (default 2e-3)")
    ap.add_argument("--min-lr", type=float, default=5e-5, help="learning rate at the end of the cosine (5e-5)")
    ap.add_argument("--warmup", type=int, default=500, help="steps of linear warm-up (default 500)")
    ap.add_argument("--weight-decay", type=float, default=1e-3, help="AdamW decoupled decay (default 1e-3)")
    ap.add_argument("--clip", type=float, default=5.0, help="global gradient-norm clip (default 5)")
    ap.add_argument("--speed-perturb", default="0.9,1.0,1.1",
                    help="speed factors an utterance is played at, one drawn a read (default 0.9,1.0,1.1; 1: off)")
    ap.add_argument("--no-spec-augment", dest="spec_augment", action="store_false",
                    help="no SpecAugment masks (on by default: 2 frequency bands, 1 time mask a second)")
    ap.add_argument("--amp", choices=["auto", "off", "bf16", "fp16"], default="auto",
                    help="mixed precision on GPUs: auto = bf16 where supported, else fp16; never on CPUs")
    ap.add_argument("--eval-every", type=int, default=1000)
    ap.add_argument("--checkpoint-every", type=int, default=500)
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--stats-utterances", type=int, default=2000,
                    help="training utterances the feature mean and std of a fresh model are taken over")
    ap.add_argument("--workers", type=int, default=2, help="data-loading processes per training process")
    ap.add_argument("--threads", type=int, default=0, help="CPU threads per process (0: torch's default)")
    ap.add_argument("--seed", type=int, default=1)
    return ap.parse_args(argv)


class Job:
    """The distributed setting: rank, world size, device, and whether this process writes files."""

    def __init__(self):
        self.world = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        local = int(os.environ.get("LOCAL_RANK", "0"))
        self.device = torch.device(f"cuda:{local}" if torch.cuda.is_available() else "cpu")
        if self.device.type == "cuda":
            torch.cuda.set_device(self.device)
        if self.world > 1:
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
        self.main = self.rank == 0

    def all_sum(self, values):
        """Element-wise sum of a list of numbers over every process."""
        t = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.world > 1:
            dist.all_reduce(t)
        return t.tolist()

    def barrier(self):
        if self.world > 1:
            dist.barrier()


class Log:
    """log.jsonl in the run folder, written by the main process only, and echoed to stderr."""

    def __init__(self, run, enabled):
        self.path = os.path.join(run, "log.jsonl") if enabled else None

    def __call__(self, kind, **fields):
        if not self.path:
            return
        line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "type": kind, **fields})
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        print(line, file=sys.stderr, flush=True)


def learning_rate(step, args):
    """Attune's schedule: linear warm-up to --lr, then cosine to --min-lr at --steps (1-based step)."""
    if step <= args.warmup:
        return args.lr * step / max(1, args.warmup)
    progress = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * progress))


def starting_point(args):
    """(model, tokens, features, spelling folder) from --init or from --config/--tokens/--dictionary."""
    if args.init:
        model, spec = attune_folder.load_model(args.init)
        check_features(spec["features"])
        return model, spec["tokens"], spec["features"], args.init, os.path.join(args.init, "pronunciations.dict")
    text = args.config or "{}"
    try:
        cfg = json.load(open(text, encoding="utf-8")) if os.path.isfile(text) else json.loads(text)
    except json.JSONDecodeError as err:
        raise RecipeError(f"--config: neither a file nor valid JSON ({err})") from None
    tokens = attune_folder.read_tokens(args.tokens) if args.tokens else (
        attune_folder.ENGLISH_TOKENS, 0, 1, False)
    features = dict(attune_folder.DEFAULT_FEATURES)
    cfg = complete_config({**cfg, "featureBins": features["nMels"], "vocabSize": len(tokens[0])})
    try:
        return AcousticModel(cfg), tokens, features, None, args.dictionary
    except ValueError as err:
        raise RecipeError(f"--config: {err}") from None


def complete_config(given):
    """A config with Attune's defaults filled in. A depth without its look-ahead list gets Attune's layout
    (blockLayout): the default's pattern, causal blocks after it, and blocks made causal from the top down
    until an output frame waits for at most 200 ms of audio."""
    cfg = {**DEFAULT_ACOUSTIC, **given}
    if "blockRightContext" not in given:
        pattern = DEFAULT_ACOUSTIC["blockRightContext"]
        cfg["blockRightContext"] = [pattern[i] if i < len(pattern) else 0 for i in range(cfg["blocks"])]
        for i in reversed(range(cfg["blocks"])):
            if look_ahead_ms(cfg) <= MAX_LOOK_AHEAD_MS:
                break
            cfg["blockRightContext"][i] = 0
    if look_ahead_ms(cfg) > MAX_LOOK_AHEAD_MS:
        raise RecipeError(f"--config: the model would look {look_ahead_ms(cfg):.0f} ms ahead; "
                          f"Attune streams with at most {MAX_LOOK_AHEAD_MS} ms")
    return cfg


# The tfjs model's default shape (src-main/model/config.ts DEFAULT_ACOUSTIC).
DEFAULT_ACOUSTIC = {
    "featureBins": 80, "hopMs": 10, "vocabSize": 29, "channels": 192, "subsampleKernel": 3,
    "subsampleStrides": [2, 1], "subsampleRightContext": 1, "blocks": 12, "kernel": 9,
    "blockRightContext": [1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0], "dropout": 0.1, "layerNormEps": 1e-5,
}


def feature_stats(dataset, count, seed):
    """Per-bin mean and std of the features of `count` items drawn with the seed (as Attune's featureStats)."""
    total, squares, frames = 0.0, 0.0, 0
    for i in random.Random(seed).sample(range(len(dataset)), min(count, len(dataset))):
        x = dataset[i][0].double()  # [T, F]
        total, squares, frames = total + x.sum(0), squares + (x * x).sum(0), frames + x.shape[0]
    mean = total / max(1, frames)
    std = torch.sqrt(torch.clamp(squares / max(1, frames) - mean * mean, min=1e-6))
    return mean.float(), std.float()


def greedy_ids(logits, length, blank):
    """Best class per frame, repeats collapsed and blanks removed."""
    best = logits[:length].argmax(-1).tolist()
    return [c for n, c in enumerate(best) if c != blank and (n == 0 or c != best[n - 1])]


def edit_distance(a, b):
    row = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, y in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (x != y))
    return row[-1]


def evaluate(model, loader, tokenizer, job):
    """Greedy CER (over classes, word breaks included) and WER (words as class sequences) on the dev set."""
    model.eval()
    sums = [0, 0, 0, 0]  # class edits, classes, word edits, words
    with torch.no_grad():
        for feats, lengths, targets, target_lengths in loader:
            logits, out_lengths = model(feats.to(job.device), lengths.to(job.device))
            refs = torch.split(targets, target_lengths.tolist())
            for b, ref in enumerate(refs):
                hyp = greedy_ids(logits[b].float().cpu(), int(out_lengths[b]), tokenizer.blank)
                ref = ref.tolist()
                sums[0] += edit_distance(hyp, ref)
                sums[1] += len(ref)
                sums[2] += edit_distance(tokenizer.decode(hyp), tokenizer.decode(ref))
                sums[3] += len(tokenizer.decode(ref))
    model.train()
    total = job.all_sum(sums)
    return total[0] / max(1, total[1]), total[2] / max(1, total[3])


def save_checkpoint(path, state):
    """Writes a checkpoint atomically: a crash mid-write leaves the previous one in place."""
    tmp = f"{path}.tmp-{os.getpid()}"
    torch.save(state, tmp)
    os.replace(tmp, path)


def amp_dtype(args, job):
    if job.device.type != "cuda" or args.amp == "off":
        return None
    if args.amp == "auto":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.bfloat16 if args.amp == "bf16" else torch.float16


class Run:
    """One training run in phases: open (start or resume), step, score on dev, checkpoint, finish."""

    def __init__(self, args, job):
        self.args, self.job = args, job
        os.makedirs(args.run, exist_ok=True)
        self.log = Log(args.run, job.main)
        self.model, self.tokens, self.features, self.spelling_from, dictionary = starting_point(args)
        self.tokenizer = data.Tokenizer(*self.tokens, dictionary)
        self.dictionary = os.path.abspath(dictionary) if self.tokenizer.phones and not self.spelling_from else None
        self.fps = 1000 / self.model.cfg["hopMs"]
        self.checkpoint_path = os.path.join(args.run, "checkpoint.pt")
        self.best_path = os.path.join(args.run, "best.pt")
        self.read_data()
        self.open()
        self.stopping = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self.stopping.append(True))

    def read_data(self):
        """Manifests and the training batches. Rank 0 reads the audio headers once; the others then read its
        manifest."""
        args, job, fps = self.args, self.job, self.fps
        path = os.path.join(args.run, "train-manifest.jsonl")
        if job.main:
            self.train_items, self.skipped = data.manifest(args.train, self.tokenizer, fps, path)
        job.barrier()
        if not job.main:
            self.train_items, self.skipped = data.manifest(args.train, self.tokenizer, fps, path)
        self.dev_items = data.manifest(args.dev, self.tokenizer, fps)[0] if args.dev else []
        try:
            speeds = [float(v) for v in args.speed_perturb.split(",")]
        except ValueError:
            speeds = []
        if not speeds or not all(0.5 <= v <= 2 for v in speeds):
            raise RecipeError("--speed-perturb: expected factors between 0.5 and 2 like 0.9,1.0,1.1, "
                              f"got {args.speed_perturb}")
        self.train_set = data.Utterances(self.train_items, self.features, speeds)
        self.batches, self.too_long = data.make_batches(
            [it["frames"] for it in self.train_items], int(args.batch_seconds * fps), args.max_utterances,
            int(args.max_seconds * fps))
        if len(self.batches) < job.world:
            raise RecipeError(
                f"{len(self.batches)} batches cannot feed {job.world} processes: add data or shrink --batch-seconds")

    def open(self):
        """Optimizer, loss scaler and position: fresh, or as the run's checkpoint left them."""
        args, job, model = self.args, self.job, self.model
        state = torch.load(self.checkpoint_path, map_location="cpu") if os.path.isfile(self.checkpoint_path) else None
        if state is None and not args.init:
            model.set_stats(*feature_stats(self.train_set, args.stats_utterances, args.seed))
        model.to(job.device)
        self.opt = torch.optim.AdamW(decay_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.98), eps=1e-8)
        self.dtype = amp_dtype(args, job)
        self.scaler = torch.cuda.amp.GradScaler(enabled=self.dtype == torch.float16)
        self.step, self.epoch, self.position = 0, 0, 0
        self.best = {"cer": math.inf, "wer": math.inf, "step": 0}
        if state is not None:
            model.load_state_dict(state["model"])
            self.opt.load_state_dict(state["optimizer"])
            self.scaler.load_state_dict(state["scaler"])
            self.step, self.epoch, self.position, self.best = (
                state["step"], state["epoch"], state["position"], state["best"])
        self.net = torch.nn.parallel.DistributedDataParallel(model) if job.world > 1 else model
        hours = sum(it["frames"] for it in self.train_items) / self.fps / 3600
        self.log("start", step=self.step, steps=args.steps, parameters=sum(p.numel() for p in model.parameters()),
                 trainUtterances=len(self.train_items), trainHours=round(hours, 3), skipped=self.skipped,
                 tooLong=self.too_long, world=job.world, device=job.device.type, amp=str(self.dtype),
                 resumed=state is not None)

    def train_step(self, feats, lengths, targets, target_lengths):
        """One optimizer step on a batch: features [B, T, F], lengths [B], targets [ΣU], target lengths [B]."""
        args, device = self.args, self.job.device
        started = time.perf_counter()
        self.step += 1
        self.position += 1
        lr = learning_rate(self.step, args)
        for group in self.opt.param_groups:
            group["lr"] = lr
        feats = feats.to(device)  # [B, T, F]
        if args.spec_augment:
            feats = spec_augment(feats, lengths, self.model.mean, SpecAugmentConfig(frames_per_second=self.fps))
        with torch.autocast("cuda", dtype=self.dtype) if self.dtype else contextlib.nullcontext():
            logits, out_lengths = self.net(feats, lengths.to(device))  # [B, T', V]
        log_probs = F.log_softmax(logits.float(), dim=-1).transpose(0, 1)  # [T', B, V]
        loss = F.ctc_loss(log_probs, targets.to(device), out_lengths, target_lengths.to(device),
                          blank=self.tokenizer.blank, reduction="mean", zero_infinity=True)
        self.opt.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.opt)
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), args.clip)
        self.scaler.step(self.opt)
        self.scaler.update()
        if self.step % args.log_every == 0 or self.step == 1:
            audio = self.job.all_sum([float(lengths.sum()) / self.fps])[0]
            self.log("step", step=self.step, loss=loss.item(), learningRate=lr, gradNorm=float(grad_norm),
                     audioSeconds=audio, stepSeconds=time.perf_counter() - started)

    def score(self):
        """Greedy dev CER and WER (every process scores its share); best.pt keeps the best weights."""
        args, job = self.args, self.job
        if not self.dev_items:
            return
        dev_batches = data.make_batches([it["frames"] for it in self.dev_items], int(args.batch_seconds * self.fps),
                                        args.max_utterances, 10**9)[0]
        loader = torch.utils.data.DataLoader(data.Utterances(self.dev_items, self.features),
                                             batch_sampler=dev_batches[job.rank :: job.world],
                                             collate_fn=data.collate, num_workers=args.workers)
        cer, wer = evaluate(self.model, loader, self.tokenizer, job)
        improved = cer < self.best["cer"]
        if improved:
            self.best = {"cer": cer, "wer": wer, "step": self.step}
            if job.main:
                save_checkpoint(self.best_path, {
                    "model": self.model.state_dict(), "cfg": self.model.cfg, "tokens": self.tokens,
                    "features": self.features, "step": self.step, "cer": cer, "wer": wer})
        self.log("eval", step=self.step, cer=cer, wer=wer, best=improved)

    def checkpoint(self):
        """checkpoint.pt: everything a resumed run needs to go on exactly where this one is."""
        job = self.job
        if job.main:
            save_checkpoint(self.checkpoint_path, {
                "model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                "scaler": self.scaler.state_dict(), "step": self.step, "epoch": self.epoch,
                "position": self.position, "best": self.best, "cfg": self.model.cfg, "tokens": self.tokens,
                "features": self.features, "args": vars(self.args), "world": job.world,
                "dictionary": self.dictionary,
                "command": shlex.join(["torchrun", "--nproc_per_node", str(job.world), *sys.argv])})
            self.log("checkpoint", step=self.step, path=self.checkpoint_path)
        job.barrier()

    def train(self):
        """Epochs of this process's share of the batches until --steps, or a stop signal in any process."""
        args = self.args
        self.net.train()
        while self.step < args.steps:
            mine = data.epoch_batches(self.batches, args.seed, self.epoch, self.job.rank, self.job.world)
            loader = torch.utils.data.DataLoader(self.train_set, batch_sampler=mine[self.position:],
                                                 collate_fn=data.collate, num_workers=args.workers)
            for batch in loader:
                self.train_step(*batch)
                if self.step % args.eval_every == 0 or self.step == args.steps:
                    self.score()
                if self.step % args.checkpoint_every == 0 or self.step == args.steps:
                    self.checkpoint()
                if self.step >= args.steps or self.job.all_sum([len(self.stopping)])[0] > 0:
                    return
            self.epoch, self.position = self.epoch + 1, 0

    def finish(self):
        """A last checkpoint when stopped between two, the log's last line, and --out when done."""
        args, job, best = self.args, self.job, self.best
        if self.step % args.checkpoint_every != 0 and self.step != args.steps:
            self.checkpoint()
        self.log("done", step=self.step, bestCer=best["cer"], bestWer=best["wer"], bestStep=best["step"],
                 stopped="signal" if self.stopping else "finished")
        if args.out and job.main and self.step >= args.steps:
            export_run(args.run, args.out, spelling_from=self.spelling_from)
            print(json.dumps({"out": os.path.abspath(args.out), "step": self.step, "bestCer": best["cer"]}))
        job.barrier()


def main(argv=None):
    args = parse_args(argv)
    job = Job()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed + job.rank)
    run = Run(args, job)
    run.train()
    run.finish()
    if job.world > 1:
        dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
