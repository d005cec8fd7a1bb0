"""Writes a PyTorch training run as an Attune model folder (model.safetensors, config.json, tokens.txt, card).

    python3 recipes/torch/export.py --run runs/NAME --out models/NAME [--which best|last] [--spelling FOLDER]

`best` is the checkpoint with the lowest dev CER (the latest one when the run had no dev set). A phone model's
folder needs its pronouncing dictionary: --spelling names the Attune folder to copy it from (train.py passes
the folder it started from).
"""

import argparse
import json
import os
import sys
import time

import torch

import folder as attune_folder
from errors import RecipeError, run_main
from model import AcousticModel


def read_run(run, which):
    """The chosen checkpoint of a run and the run's latest checkpoint (for its arguments and data)."""
    last_path, best_path = os.path.join(run, "checkpoint.pt"), os.path.join(run, "best.pt")
    if not os.path.isfile(last_path):
        raise RecipeError(f"{run}: no checkpoint.pt (is it a run folder of recipes/torch/train.py?)")
    last = torch.load(last_path, map_location="cpu")
    chosen = torch.load(best_path, map_location="cpu") if which == "best" and os.path.isfile(best_path) else last
    return chosen, last


def model_card(cfg, last, chosen, info):
    args = last["args"]
    params = info["training"]["parameters"]
    metric = (f"greedy dev CER {chosen['cer']:.2%}, WER {chosen['wer']:.2%} (step {chosen['step']})"
              if "cer" in chosen else "no dev set was scored")
    corpora = "\n".join(f"- `{c}`" for c in args["train"])
    return f"""# Attune acoustic model (trained with recipes/torch)

A streaming CTC acoustic model for Attune: {cfg['blocks']} depthwise-separable residual blocks of
{cfg['channels']} channels, {params:,} parameters, log-mel input, {cfg['vocabSize']} output classes.
Trained with PyTorch for {last['step']} steps on {info['training']['processes']} process(es); {metric}.

## Data

{corpora}

List each corpus's licence and credit here before sharing the model (LibriSpeech: CC BY 4.0, Panayotov et
al., 2015).

## Made by

```sh
{info['training']['command']}
```

## Use in Attune

Point Attune at this folder (`attune transcribe --model DIR`, `attune serve --model DIR`), or make it the base
model by replacing `models/base` with it. Attune fine-tunes it on its user's voice on-device.
"""


def export_run(run, out, which="best", spelling_from=None):
    """Writes the run's chosen checkpoint to `out` as an Attune model folder; returns its info."""
    chosen, last = read_run(run, which)
    model = AcousticModel(chosen["cfg"])
    model.load_state_dict(chosen["model"])
    args = last["args"]
    info = {
        "training": {
            "recipe": "recipes/torch",
            "command": last.get("command", f"torchrun recipes/torch/train.py --run {run} …"),
            "corpora": args["train"],
            "steps": last["step"],
            "chosenStep": chosen["step"],
            "parameters": sum(p.numel() for p in model.parameters()),
            "processes": last.get("world", 1),
            "torchVersion": torch.__version__,
        },
        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if "cer" in chosen:
        info["metrics"] = {"dev": {"cer": chosen["cer"], "wer": chosen["wer"], "decoding": "greedy"}}
    card = model_card(model.cfg, last, chosen, info)
    attune_folder.write_folder(out, model, chosen["tokens"][0], chosen["features"], info, card,
                               spelling_from=spelling_from, dictionary=last.get("dictionary"))
    return info


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", required=True, help="run folder of recipes/torch/train.py")
    ap.add_argument("--out", required=True, help="Attune model folder to write (replaced atomically)")
    ap.add_argument("--which", choices=["best", "last"], default="best")
    ap.add_argument("--spelling", help="Attune folder whose pronunciations.dict a phone model carries")
    args = ap.parse_args(argv)
    info = export_run(args.run, args.out, args.which, args.spelling)
    print(json.dumps({"out": os.path.abspath(args.out), **info["training"]}))
    return 0


if __name__ == "__main__":
    sys.exit(run_main(main))
