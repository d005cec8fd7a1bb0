// The recipe's augmentation: SpecAugment masks put the feature mean in bands and spans of each utterance and
// nowhere past its end, within their budget; speed perturbation changes the length by the factor.
import { describe, expect, it } from 'vitest';
import { missingPrerequisite, python, RECIPE } from './helpers.js';

const missing = missingPrerequisite();

const CHECK = `
import json, sys, torch
sys.path.insert(0, sys.argv[1])
from augment import SpecAugmentConfig, spec_augment, speed_perturb
g = torch.Generator().manual_seed(3)
feats = torch.randn(3, 500, 80) + 10  # far from the fill, so a masked value is plain to see
lengths = torch.tensor([500, 320, 90])
fill = torch.arange(80, dtype=torch.float32) * -1
out = spec_augment(feats, lengths, fill, SpecAugmentConfig(), generator=g)
rows = []
for b in range(3):
    n = int(lengths[b])
    masked = (out[b, :n] != feats[b, :n])
    assert torch.all((out[b, :n] == feats[b, :n]) | (out[b, :n] == fill)), "a changed value is not the fill"
    full_frames = int(masked.all(1).sum())
    bands = int(masked[:, :].all(0).sum())
    rows.append({"untouchedTail": bool(torch.equal(out[b, n:], feats[b, n:])), "maskedFrames": full_frames,
                 "maskedBins": bands, "frames": n})
x = torch.randn(16000)
rows.append({"speed": [speed_perturb(x, 16000, f).numel() for f in (0.9, 1.0, 1.1)]})
print(json.dumps(rows))
`;

describe.skipIf(missing !== null)(
  `PyTorch recipe augmentation${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    it('masks with the mean inside each utterance, within the time budget; speed changes the length', async () => {
      const r = await python('-c', [CHECK, RECIPE]);
      expect(r.code, r.stderr).toBe(0);
      const rows = JSON.parse(r.stdout) as Record<string, unknown>[];
      for (const row of rows.slice(0, 3)) {
        const { untouchedTail, maskedFrames, maskedBins, frames } = row as Record<string, number>;
        expect(untouchedTail).toBe(true);
        expect(maskedFrames).toBeLessThanOrEqual(0.2 * frames);
        expect(maskedBins).toBeLessThanOrEqual(2 * 15);
      }
      expect(rows.slice(0, 2).some((row) => (row.maskedFrames as number) > 0)).toBe(true);
      expect(rows.slice(0, 3).some((row) => (row.maskedBins as number) > 0)).toBe(true);
      // 1 s played at 0.9 lasts 1.11 s, at 1.1 0.91 s.
      expect(rows[3].speed).toEqual([17778, 16000, 14546]);
    });
  },
);
