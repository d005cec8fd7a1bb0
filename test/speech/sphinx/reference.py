#!/usr/bin/python3
"""Independent reference for the sphinx phone features (test/speech/sphinx/gmm-scores.test.ts).

Reads a pocketsphinx model directory itself (feat.params, binary mdef, means, variances, sendump) with
numpy, and from MFCC cepstra computes, in float64:
  live CMN (mean starts at -cmninit counted as `window` frames, re-estimated when the count exceeds `update`,
  then scaled back to `window`; frames with c0 < 0 normalised but not counted), 1s_c_d_dd features (the first
  and last frames replicated past the ends),
  per-codebook Gaussian log-likelihoods (variances floored at 1e-4), CI senone scores (full mixtures, every
  density, and top-N mixtures: per codebook and stream only the N likeliest densities, found by sorting, ties to
  the lower index) and phone log-posteriors (log-softmax of each phone's log-sum-exp over its states).
Where the TypeScript stores float32 (CMN'd cepstra, feature vectors) the same values are rounded to float32
here, so both sides score identical inputs.

stdin: JSON {"modelDir": str, "cmn": {"windowFrames": int, "updateFrames": int}, "topN": int,
             "cepstra": [[13 floats], ...], "features": [[39 floats], ...]}
  cepstra: raw (pre-CMN) MFCC frames; features: feature vectors to score in detail.
stdout: JSON {"features": [T][39], "posteriors": [T][nPhones] (from the cepstra, full mixtures),
  "topPosteriors": [T][nPhones] (top-N mixtures),
  "densityLl": [F][nCodebooks*nStreams*nDensities], "senones": [F][nPhones*nStates],
  "detailPosteriors": [F][nPhones], "topIndex": [F][nCodebooks*nStreams*topN] (best first),
  "topSenones": [F][nPhones*nStates], "topDetailPosteriors": [F][nPhones] (from the given features),
  "contextPosteriors": [F][nPhones] (each phone's likeliest senone of any context, top-N mixtures),
  "phones": [...]}
"""

import json
import math
import os
import struct
import sys

import numpy as np

VAR_FLOOR = 1e-4
SENDUMP_LOG_STEP = -(2 ** 10) * math.log(1.0001)  # one quantisation step of a sendump byte, in nats


def read_feat_params(path):
    opts = {}
    with open(path) as f:
        for line in f:
            toks = line.split()
            for i in range(0, len(toks) - 1, 2):
                opts[toks[i]] = toks[i + 1]
    return opts


def read_s3(path):
    """The file's bytes and the offset after its text header (up to endhdr) and byte-order magic."""
    data = open(path, 'rb').read()
    end = data.index(b'endhdr\n') + len(b'endhdr\n')
    (magic,) = struct.unpack_from('<I', data, end)
    assert magic == 0x11223344, 'only little-endian s3 files here'
    return data, end + 4


def read_gaussians(path):
    data, pos = read_s3(path)
    n_cb, n_feat, n_den = struct.unpack_from('<3i', data, pos)
    pos += 12
    veclen = struct.unpack_from('<%di' % n_feat, data, pos)
    pos += 4 * n_feat
    (n,) = struct.unpack_from('<i', data, pos)
    pos += 4
    assert n == n_cb * n_den * sum(veclen)
    flat = np.frombuffer(data, dtype='<f4', count=n, offset=pos).astype(np.float64)
    assert len(set(veclen)) == 1, 'equal stream widths only'
    return flat.reshape(n_cb, n_feat, n_den, veclen[0])


def read_sendump(path):
    data = open(path, 'rb').read()
    pos = 0
    header = []
    while True:
        (n,) = struct.unpack_from('<i', data, pos)
        pos += 4
        if n == 0:
            break
        header.append(data[pos:pos + n].rstrip(b'\0').decode('latin1'))
        pos += n
    n_feat = int(next(h for h in header if h.startswith('feature_count ')).split()[1])
    rows, cols = struct.unpack_from('<2i', data, pos)
    pos += 8
    q = np.frombuffer(data, dtype=np.uint8, count=n_feat * rows * cols, offset=pos)
    assert pos + q.size == len(data)
    return q.reshape(n_feat, rows, cols).astype(np.float64) * SENDUMP_LOG_STEP  # [feat][density][senone]


def read_bin_mdef(path):
    data = open(path, 'rb').read()
    assert data[:4] == b'BMDF'
    (hdr_len,) = struct.unpack_from('<i', data, 8)
    pos = 12 + hdr_len
    n_ci, n_phone, n_emit, n_ci_sen, n_sen, n_tmat, n_sseq, n_ctx, n_tree, sil = struct.unpack_from('<10i', data, pos)
    pos += 40
    start = pos
    names = []
    for _ in range(n_ci):
        end = data.index(b'\0', pos)
        names.append(data[pos:end].decode('latin1'))
        pos = end + 1
    pos = start + ((pos - start + 3) & ~3) + 8 * n_tree
    # Per phone: int32 ssid, int32 tmat, then 4 bytes: (filler, -, -, -) for a CI phone and
    # (word position, base, left, right) for a triphone.
    ssids = [struct.unpack_from('<i', data, pos + 12 * p)[0] for p in range(n_phone)]
    bases = [p if p < n_ci else data[pos + 12 * p + 9] for p in range(n_phone)]
    pos += 12 * n_phone
    (n_ids,) = struct.unpack_from('<i', data, pos)
    sseq = np.frombuffer(data, dtype='<i2', count=n_ids, offset=pos + 4).reshape(n_sseq, n_emit)
    # Every senone any phone of each base uses, CI and context-dependent: [n_ci] sorted id arrays.
    of_base = [set() for _ in range(n_ci)]
    for p in range(n_phone):
        of_base[bases[p]].update(int(s) for s in sseq[ssids[p]])
    senones_of_base = [np.array(sorted(ids)) for ids in of_base]
    ci_senones = np.array([sseq[ssids[c]] for c in range(n_ci)])  # [n_ci][n_emit] senone ids
    return names, ci_senones, senones_of_base


def live_cmn(cep, init, window, update):
    out = np.empty_like(cep)
    mean = init.copy()
    total = init * window
    count = window
    for t, c in enumerate(cep):
        out[t] = (c - mean).astype(np.float32)
        if c[0] >= 0:
            total = total + c
            count += 1
            if count > update:
                mean = total / count
                total = total * (window / count)
                count = window
    return out


def deltas(c):
    T = len(c)
    p = np.concatenate([np.repeat(c[:1], 3, 0), c, np.repeat(c[-1:], 3, 0)])  # index t + 3 is frame t
    at = lambda k: p[3 + k: 3 + k + T]
    d = at(2) - at(-2)
    dd = (at(3) - at(-1)) - (at(1) - at(-3))
    return np.concatenate([c, d, dd], axis=1).astype(np.float32)


class Model:
    def __init__(self, model_dir):
        opts = read_feat_params(os.path.join(model_dir, 'feat.params'))
        self.cmninit = np.zeros(13)
        vals = [float(v) for v in opts.get('-cmninit', '8.0').split(',')]
        self.cmninit[:len(vals)] = vals
        self.names, self.ci_senones, self.senones_of_base = read_bin_mdef(os.path.join(model_dir, 'mdef'))
        self.mean = read_gaussians(os.path.join(model_dir, 'means'))
        var = np.maximum(read_gaussians(os.path.join(model_dir, 'variances')), VAR_FLOOR)
        self.inv2var = 1.0 / (2.0 * var)
        self.lognorm = -0.5 * (np.log(var).sum(-1) + var.shape[-1] * math.log(2 * math.pi))  # [cb][feat][den]
        logw = read_sendump(os.path.join(model_dir, 'sendump'))
        self.logw_all = logw  # [feat][den][senone]
        # [phone][state][feat][den] log weights of the CI senones
        self.logw = np.transpose(logw[:, :, self.ci_senones], (2, 3, 0, 1))
        self.n_cb, self.n_feat, self.n_den, self.width = self.mean.shape
        assert self.n_cb == len(self.names), 'phonetically-tied model: codebook = CI phone'

    def density_ll(self, x):
        """x [F, n_feat * width] → [F, cb, feat, den]."""
        xs = x.reshape(len(x), 1, self.n_feat, 1, self.width)
        q = ((xs - self.mean[None]) ** 2 * self.inv2var[None]).sum(-1)
        return self.lognorm[None] - q

    def senones(self, ll):
        """[F, cb, feat, den] → [F, phone, state]: sum over streams of log sum_d w exp(ll)."""
        a = self.logw[None] + ll[:, :, None, :, :]  # codebook = phone
        m = a.max(-1, keepdims=True)
        return (m[..., 0] + np.log(np.exp(a - m).sum(-1))).sum(-1)

    def top_n(self, ll, n):
        """[F, cb, feat, den] → indices [F, cb, feat, n] of the n likeliest densities, best first, ties to the
        lower index (a stable sort of -ll)."""
        return np.argsort(-ll, axis=-1, kind='stable')[..., :n]

    def top_senones(self, ll, n):
        """[F, cb, feat, den] → [F, phone, state]: sum over streams of log sum over the top n of w exp(ll)."""
        idx = self.top_n(ll, n)
        top_ll = np.take_along_axis(ll, idx, -1)[:, :, None]  # [F, cb, 1, feat, n], codebook = phone
        top_w = np.take_along_axis(self.logw[None], idx[:, :, None], -1)  # [F, phone, state, feat, n]
        a = top_w + top_ll
        m = a.max(-1, keepdims=True)
        return (m[..., 0] + np.log(np.exp(a - m).sum(-1))).sum(-1)

    def top_context_phones(self, ll, n):
        """[F, cb, feat, den] → [F, phone]: the best of all the phone's senones (CI and context-dependent),
        each a sum over streams of log sum over its codebook's top n of w exp(ll); codebook = base phone."""
        idx = self.top_n(ll, n)  # [F, cb, feat, n]
        top_ll = np.take_along_axis(ll, idx, -1)  # [F, cb, feat, n]
        out = np.empty(ll.shape[:2])
        for p, sen in enumerate(self.senones_of_base):
            w = self.logw_all[:, :, sen]  # [feat, den, S_p]
            for f in range(len(ll)):
                a = np.stack([w[st, idx[f, p, st]] for st in range(self.n_feat)])  # [feat, n, S_p]
                a = a + top_ll[f, p][:, :, None]
                m = a.max(1, keepdims=True)
                per_senone = (m[:, 0] + np.log(np.exp(a - m).sum(1))).sum(0)  # [S_p]
                out[f, p] = per_senone.max()
        return out

    def phone_log_softmax(self, phone):
        m = phone.max(-1, keepdims=True)
        return phone - (m + np.log(np.exp(phone - m).sum(-1, keepdims=True)))

    def posteriors(self, sen):
        m = sen.max(-1, keepdims=True)
        phone = m[..., 0] + np.log(np.exp(sen - m).sum(-1))
        m2 = phone.max(-1, keepdims=True)
        return phone - (m2 + np.log(np.exp(phone - m2).sum(-1, keepdims=True)))


def main():
    req = json.load(sys.stdin)
    model = Model(req['modelDir'])
    cep = np.array(req['cepstra'], dtype=np.float32).astype(np.float64)
    cmn = req['cmn']
    feats = deltas(live_cmn(cep, model.cmninit, cmn['windowFrames'], cmn['updateFrames']).astype(np.float64))
    n = req['topN']
    post, top_post = [], []
    for i in range(0, len(feats), 25):
        ll = model.density_ll(feats[i:i + 25].astype(np.float64))
        post.append(model.posteriors(model.senones(ll)))
        top_post.append(model.posteriors(model.top_senones(ll, n)))
    empty = np.zeros((0, len(model.names)))
    x = np.array(req['features'], dtype=np.float64).reshape(-1, model.n_feat * model.width)
    ll = model.density_ll(x)
    sen = model.senones(ll)
    top_sen = model.top_senones(ll, n)
    json.dump({
        'phones': model.names,
        'features': feats.tolist(),
        'posteriors': (np.concatenate(post) if post else empty).tolist(),
        'topPosteriors': (np.concatenate(top_post) if top_post else empty).tolist(),
        'densityLl': ll.reshape(len(x), -1).tolist(),
        'senones': sen.reshape(len(x), -1).tolist(),
        'detailPosteriors': model.posteriors(sen).tolist(),
        'topIndex': model.top_n(ll, n).reshape(len(x), -1).tolist(),
        'topSenones': top_sen.reshape(len(x), -1).tolist(),
        'topDetailPosteriors': model.posteriors(top_sen).tolist(),
        'contextPosteriors': model.phone_log_softmax(model.top_context_phones(ll, n)).tolist(),
    }, sys.stdout)


if __name__ == '__main__':
    main()
