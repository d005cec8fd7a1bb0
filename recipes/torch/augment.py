"""Training-time augmentation, as Attune's own trainer does it (src-main/training/feature-augment.ts defaults):
speed perturbation of the audio, then SpecAugment masks on the features.

- Speed: each utterance is played at a factor drawn from --speed-perturb (0.9, 1.0, 1.1 by default, as Kaldi and
  icefall recipes do): resampled so it lasts 1 / factor as long, its pitch moved with it.
- Frequency masks: 2 bands of up to 15 log-mel bins a batch row; time masks: 1 a second of audio, each up to 20
  frames, at most 20% of an utterance. A masked value is set to the model's feature mean, which the model's
  normalisation turns into zero.
"""

from dataclasses import dataclass

import torch
import torchaudio


@dataclass(frozen=True)
class SpecAugmentConfig:
    freq_masks: int = 2  # bands masked per utterance
    freq_width: int = 15  # widest band, bins
    time_masks_per_second: float = 1.0
    time_width: int = 20  # longest mask, frames
    max_time_fraction: float = 0.2  # at most this share of an utterance masked in time
    frames_per_second: float = 100.0


def spec_augment(feats, lengths, fill, cfg=SpecAugmentConfig(), generator=None):
    """feats [B, T, F] with valid lengths [B] → a masked copy; masked values are fill [F] (the feature mean),
    frames past an utterance's length left as they are."""
    out = feats.clone()
    batch, _, bins = feats.shape
    rand = lambda high: int(torch.randint(0, max(1, high), (1,), generator=generator))  # noqa: E731
    for b in range(batch):
        n = int(lengths[b])
        for _ in range(cfg.freq_masks):
            width = rand(cfg.freq_width + 1)
            start = rand(bins - width + 1)
            out[b, :n, start : start + width] = fill[start : start + width]
        budget = int(cfg.max_time_fraction * n)
        for _ in range(int(cfg.time_masks_per_second * n / cfg.frames_per_second)):
            width = min(rand(cfg.time_width + 1), budget)
            if width <= 0 or n <= width:
                break
            start = rand(n - width + 1)
            out[b, start : start + width] = fill
            budget -= width
    return out


def speed_perturb(samples, sample_rate, factor):
    """samples [L] played `factor` times as fast: resampled to last 1 / factor as long (pitch moves with it)."""
    if factor == 1.0:
        return samples
    return torchaudio.functional.resample(samples, int(round(sample_rate * factor)), sample_rate)
