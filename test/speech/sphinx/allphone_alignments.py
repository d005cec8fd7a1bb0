#!/usr/bin/python3
"""Regenerates allphone-alignments.txt: pocketsphinx's own phone decoding of the librivox test clips.

Run with Debian's python3-pocketsphinx, pocketsphinx-en-us and pocketsphinx-testdata:
  /usr/bin/python3 test/speech/sphinx/allphone_alignments.py > test/speech/sphinx/allphone-alignments.txt
Each line: clip name, then PHONE:first-last per segment, in pocketsphinx frames (frame j starts at sample
160 j). Silence removal and noise removal are off so that frame numbers count from the first sample.
"""

import glob

from pocketsphinx import Decoder

MODEL = '/usr/share/pocketsphinx/model/en-us/'

config = Decoder.default_config()
config.set_string('-hmm', MODEL + 'en-us')
config.set_string('-allphone', MODEL + 'en-us-phone.lm.bin')
config.set_float('-lw', 2.0)
config.set_float('-beam', 1e-20)
config.set_float('-pbeam', 1e-20)
config.set_string('-logfn', '/dev/null')
config.set_boolean('-remove_silence', False)
config.set_boolean('-remove_noise', False)
decoder = Decoder(config)
for path in sorted(glob.glob('/usr/share/pocketsphinx/test/data/librivox/*.wav')):
    with open(path, 'rb') as f:
        pcm = f.read()[44:]
    decoder.start_utt()
    decoder.process_raw(pcm, False, True)
    decoder.end_utt()
    segments = ' '.join(f'{s.word}:{s.start_frame}-{s.end_frame}' for s in decoder.seg())
    print(path.split('/')[-1], segments)
