"""Corpora in the LibriSpeech layout, turned into batches of log-mel features and CTC targets.

A corpus folder holds `<speaker>/<chapter>/<speaker>-<chapter>.trans.txt` files, each line "<utterance-id>
<TRANSCRIPT>", with the audio beside them as <utterance-id>.flac (or .wav). Transcripts are taken in spoken
form, as LibriSpeech writes them: digits are not spelt here, and an utterance with one is left out (counted).

Batches are length-bucketed as Attune's trainer makes them (src-main/training/batches.ts): utterances sorted by
length are packed while the padded batch (utterances × longest) stays within the frame budget, and the order of
the batches is shuffled per epoch from the seed, so a resumed run sees the same batches. Each process of a
distributed run takes every world-th batch of the same order.
"""

import json
import os
import random
import re
import unicodedata

import torch
import torchaudio

from augment import speed_perturb
from errors import RecipeError
from features import LogMel

AUDIO_EXTENSIONS = (".flac", ".wav")


class CorpusError(RecipeError):
    """A corpus folder that cannot be read as the LibriSpeech layout; the message names the file."""


# ---- text → classes --------------------------------------------------------------------------------------------


def normalize_text(text):
    """Spoken-form text as Attune normalises it: lower case, accents stripped, apostrophes kept inside words."""
    s = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).lower()
    s = re.sub(r"[\u2018\u2019\u02bc\u2032`]", "'", s)
    s = re.sub(r"(^|[^a-z])'+|'+(?=[^a-z]|$)", r"\1", s)
    s = re.sub(r"[^a-z0-9']+", " ", s)
    return " ".join(s.split())


class Tokenizer:
    """Text → class ids for a model's tokens: letters directly, phone names through a pronouncing dictionary."""

    def __init__(self, tokens, blank, space, phones, dictionary_path=None):
        """tokens, blank, space, phones: as folder.read_tokens gives them."""
        self.tokens, self.blank, self.space, self.phones = tokens, blank, space, phones
        self.index = {t: i for i, t in enumerate(tokens)}
        self.dictionary = None
        if self.phones:
            if not dictionary_path or not os.path.isfile(dictionary_path):
                raise CorpusError("a phone model needs its pronunciations.dict to spell the transcripts")
            self.dictionary = read_dictionary(dictionary_path)

    def encode(self, text):
        """Class ids of a transcript, or None when a word cannot be written (a digit, an unknown word)."""
        words = normalize_text(text).split()
        ids = []
        for n, word in enumerate(words):
            if n > 0 and self.space >= 0:
                ids.append(self.space)
            spelt = self.dictionary.get(word) if self.phones else list(word)
            if spelt is None or any(p not in self.index for p in spelt):
                return None
            ids.extend(self.index[p] for p in spelt)
        return ids or None

    def decode(self, ids):
        """Class ids (blanks removed, repeats collapsed) → words, each a tuple of its classes."""
        words, current = [], []
        for i in ids:
            if i == self.space:
                if current:
                    words.append(tuple(current))
                current = []
            else:
                current.append(i)
        if current:
            words.append(tuple(current))
        return words


def read_dictionary(path):
    """CMUdict-style lines "word PH ON ES" → {word: [phones]} (a word's first pronunciation; stress dropped)."""
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) < 2 or parts[0].startswith(";;;"):
                continue
            word = re.sub(r"\(\d+\)$", "", parts[0])
            out.setdefault(word, [re.sub(r"\d$", "", p) for p in parts[1:]])
    return out


# ---- corpora ---------------------------------------------------------------------------------------------------


def scan_corpus(root):
    """[(utterance id, audio path, transcript)] of a LibriSpeech-layout folder, sorted by id."""
    if not os.path.isdir(root):
        raise CorpusError(f"{root}: not a folder")
    items = []
    for folder, _, files in os.walk(root):
        for name in sorted(f for f in files if f.endswith(".trans.txt")):
            path = os.path.join(folder, name)
            with open(path, encoding="utf-8") as f:
                for n, line in enumerate(f, 1):
                    if not line.strip():
                        continue
                    uid, _, text = line.strip().partition(" ")
                    audio = next(
                        (os.path.join(folder, uid + e) for e in AUDIO_EXTENSIONS
                         if os.path.isfile(os.path.join(folder, uid + e))),
                        None,
                    )
                    if audio is None:
                        raise CorpusError(f"{path}:{n}: no audio for {uid} (.flac or .wav beside it)")
                    items.append((uid, audio, text))
    if not items:
        raise CorpusError(f"{root}: no *.trans.txt transcripts")
    return sorted(items)


def manifest(roots, tokenizer, frames_per_second, cache_path=None):
    """Utterances [{id, audio, text, targets, frames}] of the corpora that the tokenizer can write.

    Durations come from the audio headers; with cache_path the list is kept there (JSON lines) and reused
    when the same corpora are asked for again, so a resumed run does not read every header again.
    """
    key = {"roots": [os.path.abspath(r) for r in roots], "tokens": tokenizer.tokens}
    if cache_path and os.path.isfile(cache_path):
        with open(cache_path, encoding="utf-8") as f:
            head = json.loads(f.readline())
            if head == key:
                return [json.loads(line) for line in f], {}
    items, skipped = [], {"unwritable": 0}
    for root in roots:
        for uid, audio, text in scan_corpus(root):
            targets = tokenizer.encode(text)
            if targets is None:
                skipped["unwritable"] += 1
                continue
            info = torchaudio.info(audio)
            seconds = info.num_frames / info.sample_rate
            frames = 1 + int(seconds * frames_per_second)
            items.append({"id": uid, "audio": audio, "text": text, "targets": targets, "frames": frames})
    if cache_path:
        tmp = f"{cache_path}.tmp-{os.getpid()}"
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(json.dumps(key) + "\n")
            f.writelines(json.dumps(item) + "\n" for item in items)
        os.replace(tmp, cache_path)
    return items, skipped


def make_batches(frames, max_frames, max_utterances, max_utterance_frames):
    """Length-bucketed batches of item indices: padded frames (count × longest) ≤ max_frames."""
    order = sorted((f, i) for i, f in enumerate(frames) if 0 < f <= max_utterance_frames)
    batches, current, longest = [], [], 0
    for f, i in order:
        if current and (max(longest, f) * (len(current) + 1) > max_frames or len(current) >= max_utterances):
            batches.append(current)
            current, longest = [], 0
        current.append(i)
        longest = max(longest, f)
    if current:
        batches.append(current)
    return batches, len(frames) - len(order)


def epoch_batches(batches, seed, epoch, rank, world):
    """This process's batches of an epoch: a seeded shuffle, every world-th, the same count on every rank."""
    order = list(batches)
    random.Random(seed * 1000003 + epoch).shuffle(order)
    per_rank = len(order) // world
    return order[rank : per_rank * world : world]


class Utterances(torch.utils.data.Dataset):
    """Item i → (features [T, F], targets [U]), features computed from the audio as it is read; with speeds,
    each read plays the audio at one of them, drawn at random (augment.py)."""

    def __init__(self, items, features, speeds=(1.0,)):
        self.items = items
        self.front_end = LogMel(features)
        self.speeds = list(speeds)

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        item = self.items[i]
        samples = self.front_end.load(item["audio"])
        if len(self.speeds) > 1:
            factor = self.speeds[int(torch.randint(len(self.speeds), (1,)))]
            samples = speed_perturb(samples, self.front_end.sample_rate, factor)
        feats = self.front_end(samples)  # [T, F]
        return feats, torch.tensor(item["targets"], dtype=torch.long)


def collate(batch):
    """[(features [T_i, F], targets [U_i])] → padded features [B, T, F], lengths [B], targets [ΣU], lengths [B]."""
    feats = torch.nn.utils.rnn.pad_sequence([f for f, _ in batch], batch_first=True)  # [B, T, F]
    lengths = torch.tensor([f.shape[0] for f, _ in batch])
    targets = torch.cat([t for _, t in batch])  # [ΣU] concatenated, as ctc_loss takes them
    target_lengths = torch.tensor([t.numel() for _, t in batch])
    return feats, lengths, targets, target_lengths
