import {
  parseDictionary,
  type PronouncingDictionary,
} from '../../../src-main/speech/pronouncing-dictionary.js';

/**
 * A small dictionary of regularly spelt words: short vowels in closed syllables, long ones before a
 * silent final e, a few digraphs, "x" as K S and silent "k" and "gh". Letters q and z never occur.
 */
export const TINY_DICTIONARY_TEXT = `
bat B AE T
bet B EH T
bit B IH T
bot B AA T
but B AH T
cat K AE T
dig D IH G
dog D AA G
fan F AE N
fin F IH N
fun F AH N
gap G AE P
got G AA T
hat HH AE T
hit HH IH T
hop HH AA P
hug HH AH G
jet JH EH T
jog JH AA G
kid K IH D
lap L AE P
lid L IH D
lot L AA T
map M AE P
men M EH N
mud M AH D
nap N AE P
net N EH T
nod N AA D
pan P AE N
pen P EH N
pig P IH G
pot P AA T
rag R AE G
red R EH D
rib R IH B
rod R AA D
rub R AH B
sat S AE T
set S EH T
sip S IH P
sob S AA B
sun S AH N
tan T AE N
ten T EH N
tip T IH P
top T AA P
tub T AH B
van V AE N
vet V EH T
web W EH B
win W IH N
yes Y EH S
box B AA K S
fox F AA K S
six S IH K S
tax T AE K S
bite B AY T
kite K AY T
site S AY T
mate M EY T
late L EY T
gate G EY T
note N OW T
vote V OW T
rope R OW P
tune T UW N
ship SH IH P
shop SH AA P
fish F IH SH
chip CH IH P
chat CH AE T
thin TH IH N
knit N IH T
knot N AA T
night N AY T
light L AY T
might M AY T
`;

export function tinyDictionary(): PronouncingDictionary {
  return parseDictionary(TINY_DICTIONARY_TEXT, 'tiny');
}
