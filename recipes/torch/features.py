"""Attune's log-mel front end in torchaudio (src-main/speech/features.ts reproduces exactly this).

MelSpectrogram(center=True, pad_mode="reflect", power=2, mel_scale="htk", norm=None) with the model folder's
feature config, then ln(max(x, logFloor)); frames are [T, nMels]. Audio is read as float in [-1, 1], mixed to
mono by averaging the channels and resampled to the config's rate, as Attune's audio reader does.
"""

import torch
import torchaudio

from errors import RecipeError


class FeatureError(RecipeError):
    """Audio or a feature config the front end cannot take; the message names the file or the field."""


def check_features(features):
    """Refuses a front end this recipe does not compute (Attune's pocketsphinx phone features)."""
    if features.get("phones"):
        raise FeatureError(
            "the model takes pocketsphinx phone features beside log-mel; this recipe computes log-mel only "
            "(start from a log-mel model or from --config)"
        )


class LogMel:
    """Log-mel frames [T, nMels] of 16 kHz (config.sampleRate) audio, computed on the CPU."""

    def __init__(self, features):
        check_features(features)
        self.sample_rate = int(features["sampleRate"])
        self.n_fft = int(features["nFft"])
        self.floor = float(features["logFloor"])
        self.spectrogram = torchaudio.transforms.MelSpectrogram(
            sample_rate=self.sample_rate,
            n_fft=self.n_fft,
            win_length=int(features["winLength"]),
            hop_length=int(features["hopLength"]),
            n_mels=int(features["nMels"]),
            f_min=float(features["fMin"]),
            f_max=float(features["fMax"]),
            center=True,
            pad_mode="reflect",
            power=2.0,
            mel_scale="htk",
            norm=None,
        )

    def __call__(self, samples):
        """samples [L] float in [-1, 1] at sample_rate → [T, nMels] with T = 1 + L // hop."""
        if samples.numel() <= self.n_fft // 2:
            raise FeatureError(f"{samples.numel()} samples is too short for a frame (needs > {self.n_fft // 2})")
        with torch.no_grad():
            mel = self.spectrogram(samples.float())  # [nMels, T]
        return torch.log(torch.clamp(mel, min=self.floor)).T.contiguous()  # [T, nMels]

    def load(self, path):
        """A file's samples [L] as the front end takes them: mono, float, at sample_rate."""
        try:
            audio, rate = torchaudio.load(path)  # [channels, L]
        except RuntimeError as err:
            raise FeatureError(f"{path}: cannot read audio ({err})") from None
        samples = audio.mean(dim=0)
        if rate != self.sample_rate:
            samples = torchaudio.functional.resample(samples, rate, self.sample_rate)
        return samples


def main(argv=None):
    """python3 features.py AUDIO OUT.f32 [--config FEATURES_JSON]: a file's log-mel, float32 [T, nMels]."""
    import argparse
    import json
    import sys

    from folder import DEFAULT_FEATURES

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("audio")
    ap.add_argument("out")
    ap.add_argument("--config", default="{}", help="feature config JSON (Attune's features; defaults filled)")
    args = ap.parse_args(argv)
    front_end = LogMel({**DEFAULT_FEATURES, **json.loads(args.config)})
    feats = front_end(front_end.load(args.audio))  # [T, nMels]
    feats.numpy().astype("<f4").tofile(args.out)
    print(json.dumps({"frames": feats.shape[0], "bins": feats.shape[1]}))
    return 0


if __name__ == "__main__":
    from errors import run_main

    raise SystemExit(run_main(main))
