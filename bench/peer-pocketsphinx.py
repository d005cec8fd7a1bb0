"""Decodes audio files with pocketsphinx, the peer Attune is compared with.

Uses pocketsphinx's default US-English acoustic model, language model
(en-us.lm.bin) and dictionary (cmudict-en-us.dict). Reads JSON lines from
stdin, one per utterance:

    {"id": "1089-134686-0000", "path": "/data/1089-134686-0000.flac"}

and prints one JSON line per utterance, in input order, as soon as it is
decoded:

    {"id": "1089-134686-0000", "hyp": "he hoped there would be stew",
     "seconds": 0.41}

where "seconds" is the wall time spent converting and decoding that file.
Each file is converted to 16 kHz mono 16-bit PCM by sox first. A file that
cannot be converted yields {"id", "hyp": "", "error": "<reason>", "seconds"}
and decoding goes on. bench/peer.ts runs this script:

    echo '{"id": "a", "path": "a.wav"}' | \\
        /usr/bin/python3 bench/peer-pocketsphinx.py

Debian's python3-pocketsphinx installs only for the system interpreter, so
run it with /usr/bin/python3.
"""

import json
import os
import re
import subprocess
import sys
import time

MODEL_DIR = '/usr/share/pocketsphinx/model/en-us'
SAMPLE_RATE = 16000

# Alternate pronunciations are spelled "word(2)" in the dictionary; fillers
# are "<sil>", "[noise]", "++garbage++" and the like. Neither is a word.
ALTERNATE = re.compile(r'\(\d+\)$')
FILLER = re.compile(r'^(<.*>|\[.*\]|\+\+.*\+\+)$')


def fail(message):
    """Prints message on stderr and exits with status 2."""
    sys.stderr.write(message + '\n')
    sys.exit(2)


def import_pocketsphinx():
    """Returns the pocketsphinx module, or exits saying how to install it."""
    try:
        import pocketsphinx
    except ImportError as err:
        fail(
            f'cannot import pocketsphinx ({err}) under {sys.executable}: '
            "install Debian's python3-pocketsphinx and pocketsphinx-en-us "
            'packages (apt-get install python3-pocketsphinx '
            'pocketsphinx-en-us) and run this script with /usr/bin/python3, '
            'the only interpreter python3-pocketsphinx installs for'
        )
    return pocketsphinx


def make_decoder(pocketsphinx):
    """A decoder with the default English model, LM and dictionary."""
    paths = {
        '-hmm': os.path.join(MODEL_DIR, 'en-us'),
        '-lm': os.path.join(MODEL_DIR, 'en-us.lm.bin'),
        '-dict': os.path.join(MODEL_DIR, 'cmudict-en-us.dict'),
    }
    for path in paths.values():
        if not os.path.exists(path):
            fail(f"{path} not found: install Debian's pocketsphinx-en-us")
    config = pocketsphinx.Decoder.default_config()
    for key, value in paths.items():
        config.set_string(key, value)
    config.set_string('-logfn', os.devnull)
    return pocketsphinx.Decoder(config)


def read_pcm(path):
    """The file as 16 kHz mono signed 16-bit little-endian samples.

    Raises RuntimeError if the file is missing or sox cannot convert it.
    """
    if not os.path.isfile(path):
        raise RuntimeError(f'{path} does not exist')
    command = ['sox', path, '-t', 'raw', '-r', str(SAMPLE_RATE),
               '-e', 'signed', '-b', '16', '-c', '1', '-L', '-']
    try:
        done = subprocess.run(command, capture_output=True, check=False)
    except FileNotFoundError:
        raise RuntimeError('sox is not installed (apt-get install sox '
                           'libsox-fmt-all)') from None
    if done.returncode != 0:
        reason = done.stderr.decode('utf-8', 'replace').strip()
        raise RuntimeError(f'sox could not convert {path}: '
                           f'{reason or f"exit code {done.returncode}"}')
    return done.stdout


def clean(hypstr):
    """The decoder's words without fillers and pronunciation markers."""
    words = (ALTERNATE.sub('', w) for w in hypstr.split())
    return ' '.join(w for w in words if w and not FILLER.match(w))


def decode(decoder, pcm):
    """Decodes one whole utterance; returns its words ('' if none)."""
    decoder.start_utt()
    # full_utt=True: the whole utterance at once, so the batch cepstral
    # mean normalisation the model asks for sees all of it.
    decoder.process_raw(pcm, False, True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return clean(hyp.hypstr) if hyp is not None else ''


def parse_request(line, number):
    """The id and path of one input line; exits on a malformed line."""
    try:
        request = json.loads(line)
        return str(request['id']), str(request['path'])
    except (ValueError, KeyError, TypeError):
        fail(f'stdin line {number}: expected {{"id": ..., "path": ...}}, '
             f'got {line[:200]!r}')


def decode_request(decoder, utt_id, path):
    """The result line for one file: its words, or an error, and timing."""
    start = time.perf_counter()
    result = {'id': utt_id}
    try:
        result['hyp'] = decode(decoder, read_pcm(path))
    except RuntimeError as err:
        result['hyp'] = ''
        result['error'] = str(err)
    result['seconds'] = round(time.perf_counter() - start, 4)
    return result


def main():
    """Decodes every requested file, one result line per input line."""
    decoder = make_decoder(import_pocketsphinx())
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        utt_id, path = parse_request(line, number)
        result = decode_request(decoder, utt_id, path)
        sys.stdout.write(json.dumps(result) + '\n')
        sys.stdout.flush()


if __name__ == '__main__':
    main()
