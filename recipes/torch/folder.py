"""Attune model folders, read and written from PyTorch.

A folder (src-main/model/checkpoint.ts describes it) holds:
  model.safetensors  float32 weights under the tfjs model's names and layouts
  config.json        {format, version, acoustic, features, stats: {mean, std}, info}
  tokens.txt         the output classes, one per line: <blank>, <space>, letters or phone names
  MODEL_CARD.md      what the model is and how it was made
  pronunciations.dict, letter-to-sound.json   a phone model's spelling of words (copied as they are)

The tfjs model keeps every linear map as [in, out] and every time convolution as taps × channels; PyTorch's
layers keep [out, in] and [out, in, kernel]. to_attune and from_attune convert between the two, name by name,
and refuse a weight that is missing, extra or of the wrong shape.
"""

import json
import os
import shutil
import struct
import time

import numpy as np
import torch

from errors import RecipeError

FORMAT = "attune-acoustic"
VERSION = 2
READABLE_VERSIONS = (1, 2)
BLANK, SPACE = "<blank>", "<space>"
# Files a phone model's folder carries beside its weights, copied from the folder it started from.
SPELLING_FILES = ("pronunciations.dict", "letter-to-sound.json")
# The tfjs model's feature front end defaults (src-main/speech/features.ts DEFAULT_FEATURES).
DEFAULT_FEATURES = {
    "sampleRate": 16000,
    "nFft": 512,
    "winLength": 400,
    "hopLength": 160,
    "nMels": 80,
    "fMin": 0,
    "fMax": 8000,
    "logFloor": 1e-10,
}
# Attune's English letters: blank, word break, a–z, apostrophe (src-main/speech/alphabet.ts).
ENGLISH_TOKENS = [BLANK, SPACE, *"abcdefghijklmnopqrstuvwxyz", "'"]


class FolderError(RecipeError):
    """A model folder that cannot be read or written; the message names the folder and the problem."""

    def __init__(self, folder, message):
        super().__init__(f"model folder {folder}: {message}")


# ---- safetensors -------------------------------------------------------------------------------------------


def read_safetensors(path):
    """{name: float32 numpy array} from a safetensors file (F32 only, as Attune writes)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise ValueError(f"{path}: truncated ({len(blob)} bytes, no header length)")
    (header_len,) = struct.unpack("<Q", blob[:8])
    if 8 + header_len > len(blob):
        raise ValueError(f"{path}: truncated (header says {header_len} bytes, file has {len(blob) - 8})")
    try:
        header = json.loads(blob[8 : 8 + header_len].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ValueError(f"{path}: header is not valid JSON ({err})") from None
    data = memoryview(blob)[8 + header_len :]
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry.get("dtype") != "F32":
            raise ValueError(f"{path}: tensor {name} has dtype {entry.get('dtype')}; only F32 is supported")
        begin, end = entry["data_offsets"]
        shape = [int(d) for d in entry["shape"]]
        if end > len(data):
            raise ValueError(f"{path}: truncated (tensor {name} ends at byte {end}, the data has {len(data)})")
        if end - begin != 4 * int(np.prod(shape, dtype=np.int64)):
            raise ValueError(f"{path}: tensor {name} has {end - begin} bytes, its shape {shape} needs another size")
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(shape).copy()
    return out


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: array} as float32 safetensors, names sorted and the header padded to 8 bytes."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name], dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + arr.nbytes]}
        chunks.append(arr.tobytes())
        offset += arr.nbytes
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - (8 + len(text.encode("utf-8"))) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text.encode("utf-8"))))
        f.write(text.encode("utf-8"))
        for chunk in chunks:
            f.write(chunk)
        f.flush()
        os.fsync(f.fileno())


# ---- weight layouts ------------------------------------------------------------------------------------------


def _pairs(cfg):
    """(Attune name, PyTorch name, to_attune, from_attune) for every weight of a config."""
    T = lambda w: w.T  # noqa: E731 — linear maps: [out, in] ↔ [in, out]
    depthwise_to = lambda w: w[:, 0, :].T  # noqa: E731 — [C, 1, K] → [K, C]
    depthwise_from = lambda w: w.T[:, None, :]  # noqa: E731
    K, F = cfg["subsampleKernel"], cfg["featureBins"]
    # [C, F, K] ↔ [K·F, C]: row k·F + f holds tap k of input bin f (layers.ts stackedConv1d).
    conv_to = lambda w: w.transpose(2, 1, 0).reshape(K * F, -1)  # noqa: E731
    conv_from = lambda w: w.reshape(K, F, -1).transpose(2, 1, 0)  # noqa: E731
    same = lambda w: w  # noqa: E731
    pairs = [
        ("subsample.0.weight", "subsample0.weight", conv_to, conv_from),
        ("subsample.0.bias", "subsample0.bias", same, same),
        ("subsample.1.depthwise", "subsample1_depthwise.conv.weight", depthwise_to, depthwise_from),
        ("subsample.1.weight", "subsample1_pointwise.weight", T, T),
        ("subsample.1.bias", "subsample1_pointwise.bias", same, same),
    ]
    for i in range(cfg["blocks"]):
        pairs += [
            (f"blocks.{i}.depthwise", f"blocks.{i}.depthwise.conv.weight", depthwise_to, depthwise_from),
            (f"blocks.{i}.weight", f"blocks.{i}.pointwise.weight", T, T),
            (f"blocks.{i}.bias", f"blocks.{i}.pointwise.bias", same, same),
            (f"blocks.{i}.norm.gamma", f"blocks.{i}.norm.weight", same, same),
            (f"blocks.{i}.norm.beta", f"blocks.{i}.norm.bias", same, same),
        ]
    pairs += [
        ("head.norm.gamma", "head_norm.weight", same, same),
        ("head.norm.beta", "head_norm.bias", same, same),
        ("head.weight", "head.weight", T, T),
        ("head.bias", "head.bias", same, same),
    ]
    return pairs


def to_attune(model):
    """The model's weights under Attune's names and layouts: {name: float32 numpy array}."""
    state = {k: v.detach().float().cpu().numpy() for k, v in model.state_dict().items()}
    return {a: np.ascontiguousarray(to(state[t])) for a, t, to, _ in _pairs(model.cfg)}


def from_attune(model, weights, source="weights"):
    """Loads Attune-named weights into the model, checking that every name and shape matches."""
    pairs = _pairs(model.cfg)
    expected = {a for a, *_ in pairs}
    missing, extra = sorted(expected - set(weights)), sorted(set(weights) - expected)
    if missing or extra:
        raise ValueError(f"{source}: missing {missing[:5]}, unexpected {extra[:5]} for this config")
    state = model.state_dict()
    for a, t, _, back in pairs:
        value = torch.from_numpy(np.ascontiguousarray(back(weights[a])))
        if tuple(value.shape) != tuple(state[t].shape):
            raise ValueError(f"{source}: {a} has shape {list(weights[a].shape)}, the config needs another")
        state[t] = value
    model.load_state_dict(state)


# ---- folders -------------------------------------------------------------------------------------------------


def read_tokens(path):
    """The class names of a tokens.txt, blank and space by name: (tokens, blank, space, is_phone_set)."""
    try:
        with open(path, encoding="utf-8") as f:
            tokens = [line.split()[0] for line in f.read().splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError) as err:
        raise RecipeError(f"cannot read the tokens file {path} ({err})") from None
    if BLANK not in tokens:
        raise RecipeError(f"{path}: no {BLANK} token")
    phones = any(len(t) > 1 and t not in (BLANK, SPACE) for t in tokens)
    space = tokens.index(SPACE) if SPACE in tokens else -1
    return tokens, tokens.index(BLANK), space, phones


def read_folder(folder):
    """An Attune model folder: {config, acoustic, features, stats, tokens, weights, info}, validated."""
    def need(name):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise FolderError(folder, f"{name} is missing")
        return path

    try:
        with open(need("config.json"), encoding="utf-8") as f:
            config = json.load(f)
    except json.JSONDecodeError as err:
        raise FolderError(folder, f"config.json is not valid JSON ({err})") from None
    if not isinstance(config, dict) or config.get("format") != FORMAT:
        raise FolderError(folder, f"config.json is not an {FORMAT} model")
    if config.get("version") not in READABLE_VERSIONS:
        raise FolderError(folder, f"config.json: version {config.get('version')} is not one of {READABLE_VERSIONS}")
    for key in ("acoustic", "stats"):
        if not isinstance(config.get(key), dict):
            raise FolderError(folder, f"config.json has no {key} object")
    acoustic = dict(config["acoustic"])
    acoustic.setdefault("subsampleStrides", [2, 2])  # version 1 always subsampled by 4
    try:
        tokens = read_tokens(need("tokens.txt"))
        weights = read_safetensors(need("model.safetensors"))
    except FolderError:
        raise
    except (ValueError, RecipeError) as err:
        raise FolderError(folder, str(err)) from None
    if len(tokens[0]) != acoustic["vocabSize"]:
        raise FolderError(folder, f"tokens.txt has {len(tokens[0])} classes, the config {acoustic['vocabSize']}")
    stats = config["stats"]
    return {
        "folder": folder,
        "acoustic": acoustic,
        "features": {**DEFAULT_FEATURES, **config.get("features", {})},
        "stats": (np.asarray(stats["mean"], np.float32), np.asarray(stats["std"], np.float32)),
        "tokens": tokens,
        "weights": weights,
        "info": config.get("info", {}),
    }


def load_model(folder):
    """An AcousticModel with a folder's weights and stats, and the folder as read_folder returns it."""
    from model import AcousticModel  # here, so this module also serves scripts without the model on the path

    spec = read_folder(folder)
    model = AcousticModel(spec["acoustic"])
    try:
        from_attune(model, spec["weights"], os.path.join(folder, "model.safetensors"))
    except ValueError as err:
        raise FolderError(folder, str(err)) from None
    model.set_stats(*spec["stats"])
    return model, spec


def write_folder(folder, model, tokens, features, info, card, spelling_from=None, dictionary=None):
    """Writes an Attune folder atomically: into a temporary sibling, then renamed over any old one. A phone
    model's spelling files are copied from the folder `spelling_from`, or its dictionary from `dictionary`."""
    parent, base = os.path.split(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".{base}.tmp-{os.getpid()}-{int(time.time() * 1000)}")
    os.makedirs(tmp)
    try:
        write_safetensors(os.path.join(tmp, "model.safetensors"), to_attune(model), {"format": FORMAT})
        config = {
            "format": FORMAT,
            "version": VERSION,
            "acoustic": model.cfg,
            "features": features,
            "stats": {"mean": model.mean.detach().cpu().tolist(), "std": model.std.detach().cpu().tolist()},
            "info": info,
        }
        _write_text(os.path.join(tmp, "config.json"), json.dumps(config, indent=2) + "\n")
        _write_text(os.path.join(tmp, "tokens.txt"), "\n".join(tokens) + "\n")
        _write_text(os.path.join(tmp, "MODEL_CARD.md"), card)
        for name in SPELLING_FILES if spelling_from else ():
            if os.path.isfile(os.path.join(spelling_from, name)):
                shutil.copyfile(os.path.join(spelling_from, name), os.path.join(tmp, name))
        if dictionary and not spelling_from:
            shutil.copyfile(dictionary, os.path.join(tmp, SPELLING_FILES[0]))
        old = f"{tmp}.old" if os.path.exists(folder) else None
        if old:
            os.rename(folder, old)
        os.rename(tmp, folder)
        if old:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_text(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
