// A tiny back-off bigram model, as KenLM or SRILM would write it.
export const TINY_ARPA = `
\\data\\
ngram 1=5
ngram 2=3

\\1-grams:
-99\t<s>\t-0.30103
-0.69897\t</s>
-0.52288\tthe\t-0.17609
-0.69897\tcat
-1\t<unk>

\\2-grams:
-0.30103\t<s> the
-0.09691\tthe cat
-0.04576\tcat </s>

\\end\\
`;
