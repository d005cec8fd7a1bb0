"""Logits of an Attune model folder in PyTorch, for comparing the two implementations on the same input.

    python3 recipes/torch/logits.py --model FOLDER --features IN.f32 --out OUT.f32
    python3 recipes/torch/logits.py --fresh CONFIG_JSON --write FOLDER --features IN.f32 --out OUT.f32

IN.f32 is one utterance's features, float32 little-endian, frame-major [T, featureBins]; OUT.f32 receives the
logits [T', vocabSize] the same way. --fresh builds a model of that acoustic config with random weights and
feature stats (seeded), writes it as an Attune folder (English letters) and scores with it.
"""

import argparse
import json
import sys

import numpy as np
import torch

import folder as attune_folder
from errors import run_main
from model import AcousticModel


def fresh_model(cfg_text, seed):
    """A model of the config with random weights, and random but plausible feature stats."""
    torch.manual_seed(seed)
    cfg = json.loads(cfg_text)
    model = AcousticModel(cfg)
    with torch.no_grad():
        for p in model.parameters():  # norms too, so a layout mistake in any weight shows in the logits
            p.uniform_(-0.3, 0.3)
    bins = cfg["featureBins"]
    model.set_stats(torch.randn(bins) - 5, torch.rand(bins) + 0.5)
    return model


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="Attune model folder")
    source.add_argument("--fresh", help="acoustic config JSON of a random model (with --write)")
    ap.add_argument("--write", help="with --fresh: write the random model here as an Attune folder")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--features", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)

    if args.model:
        model, _ = attune_folder.load_model(args.model)
    else:
        if not args.write:
            ap.error("--fresh needs --write")
        model = fresh_model(args.fresh, args.seed)
        tokens = attune_folder.ENGLISH_TOKENS
        if len(tokens) != model.cfg["vocabSize"]:
            ap.error(f"--fresh: vocabSize must be {len(tokens)} (English letters)")
        attune_folder.write_folder(args.write, model, tokens, dict(attune_folder.DEFAULT_FEATURES),
                                   {"training": {"recipe": "recipes/torch/logits.py --fresh"}},
                                   "# A random model for comparing implementations\n")
    bins = model.cfg["featureBins"]
    x = np.fromfile(args.features, dtype="<f4")
    if x.size % bins:
        raise SystemExit(f"{args.features}: {x.size} values is not a whole number of {bins}-bin frames")
    feats = torch.from_numpy(x.reshape(1, -1, bins))  # [1, T, F]
    model.eval()
    with torch.no_grad():
        logits, lengths = model(feats, torch.tensor([feats.shape[1]]))  # [1, T', V]
    logits[0, : int(lengths[0])].numpy().astype("<f4").tofile(args.out)
    print(json.dumps({"frames": int(lengths[0]), "classes": int(logits.shape[-1])}))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
