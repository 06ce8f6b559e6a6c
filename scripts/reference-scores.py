#!/usr/bin/env python3
"""Reference values for evalhouse's BLEU, ROUGE and Porter stemmer, computed by the real tools.

Writes test/fixtures/scores-reference.json, which ingest/scorers/reference-scores.test.ts compares the
TypeScript implementations to (1e-6). CI does not run this script; rerun it only to extend the cases.

Tools and versions that produced the committed fixture:
  - sacreBLEU 2.6.0+ from source, github:mjpost/sacrebleu at f615c7286d4d813370efb824d94fc2bfcd3a6b94
    (git describe: v2.6.0-1-gf615c72), run with Debian 12's python3-regex, python3-portalocker,
    python3-tabulate, python3-numpy, python3-colorama, python3-lxml.
  - rouge-score from google-research/google-research's rouge/ folder: rouge_scorer.py @ 61ce9f0c,
    tokenizers.py @ 30adf0ec, tokenize.py @ 7ce52c05, scoring.py @ 10bf941a (its Score and fmeasure),
    with Debian 12's python3-nltk 3.8 (nltk.stem.porter.PorterStemmer, default NLTK_EXTENSIONS mode,
    which is what rouge-score's DefaultTokenizer(use_stemmer=True) builds), python3-absl, python3-six.

How to run (PyPI is not needed):
  apt-get install -y python3-nltk python3-absl python3-six python3-regex python3-portalocker \
      python3-tabulate python3-numpy python3-colorama python3-lxml
  git clone https://github.com/mjpost/sacrebleu /tmp/sacrebleu-src   # then, as it is not installed:
  echo '__version__ = "2.6.0+f615c72"' > /tmp/sacrebleu-src/sacrebleu/version.py
  mkdir -p /tmp/rouge-src/rouge && touch /tmp/rouge-src/rouge/__init__.py
  # copy rouge_scorer.py, tokenizers.py, tokenize.py, scoring.py from google-research/rouge/ into it
  SACREBLEU_SRC=/tmp/sacrebleu-src ROUGE_SRC=/tmp/rouge-src /usr/bin/python3 scripts/reference-scores.py

The inputs are the tools' own published test cases (sacrebleu test/test_bleu.py and
test/test_sentence_bleu.py, rouge/rouge_scorer_test.py and its testdata), awkward hand-written inputs
(punctuation, numbers, HTML entities, unicode, Python-only whitespace, empty strings, several
references) and seeded random sentences.
"""

import json
import os
import random
import re
import sys

sys.path.insert(0, os.environ.get("SACREBLEU_SRC", "/tmp/sacrebleu-src"))
sys.path.insert(0, os.environ.get("ROUGE_SRC", "/tmp/rouge-src"))

import nltk  # noqa: E402
import sacrebleu  # noqa: E402
from nltk.stem.porter import PorterStemmer  # noqa: E402
from rouge import rouge_scorer  # noqa: E402
from sacrebleu.metrics import BLEU  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "test", "fixtures", "scores-reference.json")
rng = random.Random(20261202)

# ---------------------------------------------------------------- BLEU

_refs = [  # sacrebleu test/test_bleu.py (streams: one list per reference)
    ["The dog bit the man.", "It was not unexpected.", "The man bit him first."],
    ["The dog had bit the man.", "No one was surprised.", "The man had bitten the dog."],
]
_hyps = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
SYS = "Producția de zahăr primă va fi exprimată în ceea ce privește zahărul alb;"  # test_sentence_bleu.py
REF = "producţia de zahăr brut se exprimă în zahăr alb;"

VOCAB = (
    "the a cat dog sat on mat man bit him first was not it is of in to and with for 3.50 1,000 "
    "1990-2000 U.S. e.g. don't \"quoted\" (paren) [x] {y} & &amp; &quot; &lt; &gt; <skipped> - -- ; : ! ? "
    "... , . café naïve Ελλάδα 北京 東京 😀 ß İstanbul"
).split()


def rand_sentence(lo=0, hi=14):
    return " ".join(rng.choice(VOCAB) for _ in range(rng.randint(lo, hi)))


def bleu_result(score):
    return {
        "score": score.score,
        "counts": list(score.counts),
        "totals": list(score.totals),
        "sys_len": score.sys_len,
        "ref_len": score.ref_len,
        "bp": score.bp,
    }


def metric(opts, sentence):
    return BLEU(
        lowercase=opts.get("lowercase", False),
        tokenize=opts.get("tokenize", "13a"),
        smooth_method=opts.get("smooth", "exp"),
        smooth_value=opts.get("smooth_value"),
        max_ngram_order=opts.get("max_order", 4),
        effective_order=opts.get("effective_order", sentence),
    )


sentence_cases = []


def sentence(name, hyp, refs, **opts):
    # sacrebleu.sentence_bleu's defaults (exp smoothing, effective order) unless opts say otherwise
    s = metric(opts, True).sentence_score(hyp, refs)
    sentence_cases.append({"name": name, "hyp": hyp, "refs": refs, "opts": opts, "want": bleu_result(s)})


for method, value in [("exp", None), ("none", None), ("floor", None), ("floor", 0.5), ("add-k", None), ("add-k", 2)]:
    o = {"smooth": method} | ({"smooth_value": value} if value is not None else {})
    sentence(f"test_sentence_bleu {method} {value}", SYS, [REF], **o)
    sentence(f"test_sentence_bleu zero {method} {value}", "this is a cat", ["okay thanks"], **o)
sentence("test_sentence_bleu tokenize none", SYS, [REF], tokenize="none")
sentence("test_sentence_bleu lowercase", SYS, [REF], lowercase=True)
assert abs(sacrebleu.sentence_bleu(SYS, [REF]).score - 8.493) < 1e-3  # the published figure

awkward = [
    ("identical", "The cat sat on the mat.", ["The cat sat on the mat."]),
    ("punctuation", 'He said: "Go!" (now) [really]; ok?', ['He said, "Go" now - really; ok!']),
    ("numbers", "It costs $3.50, or 1,000 yen in 1990-2000.", ["It cost $3.50 or 1,000 yen in 1990 - 2000."]),
    ("entities", "Tom &amp; Jerry &quot;fight&quot; &lt;b&gt;", ['Tom & Jerry "fight" <b>']),
    ("skipped and newlines", "one <skipped> two-\nthree\nfour", ["one two three four"]),
    ("unicode", "Producția de zahăr 北京 😀 naïve café", ["producţia de zahăr 北京 😀 naive café"]),
    ("python-only whitespace", "a\x1cb\x1dc\x85d e\u00a0f", ["a b c d e f"]),
    ("bom is not whitespace", "\ufeffthe cat sat", ["the cat sat"]),
    ("trailing unicode space", "the cat sat\u3000\u2003 ", ["the cat sat"]),
    ("empty hypothesis", "", ["the cat sat"]),
    ("whitespace hypothesis", "   ", ["the cat sat"]),
    ("empty reference", "the cat sat", [""]),
    ("one word", "cat", ["the cat"]),
    ("no match", "xyz", ["the cat"]),
    ("longer than reference", "the the the the cat cat sat sat on on the mat", ["the cat sat on the mat"]),
    ("two references", "The dog bit the man.", ["The dog had bit the man.", "The dog bit the man!"]),
    ("three references, length tie", "a b c d e", ["a b c d", "a b c d e f", "x y"]),
    ("references of varied length", "the cat is on the mat", ["there is a cat on the mat", "a cat is on the mat", "the cat"]),
]
for name, hyp, refs in awkward:
    sentence(name, hyp, refs)
sentence("lowercase option", "THE Cat SAT", ["the cat sat on it"], lowercase=True)
sentence("max order 2", "the cat sat on the mat", ["the cat is on the mat"], max_order=2)
sentence("no effective order", "the cat", ["the cat sat"], effective_order=False)
for i in range(60):
    refs = [rand_sentence(1) for _ in range(rng.randint(1, 3))]
    sentence(f"random {i}", rand_sentence(), refs)

corpus_cases = []


def corpus(name, hyps, ref_streams, **opts):
    s = metric(opts, False).corpus_score(hyps, ref_streams)
    # evalhouse takes references per segment: transpose sacreBLEU's streams
    per_segment = [[stream[i] for stream in ref_streams] for i in range(len(hyps))]
    corpus_cases.append({"name": name, "hyps": hyps, "refs": per_segment, "opts": opts, "want": bleu_result(s)})


corpus("test_bleu default", _hyps, _refs)
assert abs(sacrebleu.corpus_bleu(_hyps, _refs).score - 48.530827) < 1e-6  # the published figure
corpus("test_bleu empty hypotheses", ["", "", ""], _refs)
corpus("test_bleu tokenize none", _hyps, _refs, tokenize="none")
corpus("test_bleu smooth none", _hyps, _refs, smooth="none")
for order in range(1, 7):
    corpus(f"test_bleu max order {order}", _hyps, _refs, max_order=order)
# raw_corpus_bleu: no tokenisation, floor smoothing
for hyps, refs in [
    (["this is a test", "another test"], [["ref1", "ref2"]]),
    (["this is a test"], [["this is a test"]]),
    (["this is a fest"], [["this is a test"]]),
    (["am I am a character sequence"], [["I am a symbol string sequence a a"]]),
    (["test"], [["a test"]]),
    (["a test"], [["a test"]]),
    (["a little test"], [["a test"]]),
]:
    for v in (0.01, 0.0, 0.1):
        corpus(f"raw_corpus_bleu {hyps} floor {v}", hyps, refs, tokenize="none", smooth="floor", smooth_value=v)
corpus("test_bleu effective order", ["test", "a test"], [["a test", "a test"]], effective_order=True)
corpus("short corpus without effective order", ["the cat", "a dog"], [["the cat sat", "a dog ran"]])
for i in range(10):
    n = rng.randint(1, 8)
    k = rng.randint(1, 3)
    corpus(f"random corpus {i}", [rand_sentence() for _ in range(n)], [[rand_sentence(1) for _ in range(n)] for _ in range(k)])

stats_cases = []  # BLEU.compute_bleu on given statistics (test_bleu.py test_scoring / degenerate)
for correct, total, sys_len, ref_len, opts in [
    ([9, 7, 5, 3], [10, 8, 6, 4], 11, 11, {"smooth": "none"}),
    ([0, 0, 0, 0], [4, 4, 2, 1], 0, 1, {"smooth": "floor", "smooth_value": 0.0}),
    ([0, 0, 0, 0], [10, 11, 12, 0], 14, 10, {"smooth": "floor", "smooth_value": 0.0}),
    ([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, {"smooth": "floor", "smooth_value": 0.0}),
    ([6, 5, 4, 0], [6, 5, 4, 3], 6, 6, {"smooth": "exp"}),
    ([6, 5, 0, 0], [6, 5, 4, 3], 6, 9, {"smooth": "exp"}),
    ([6, 5, 4, 0], [6, 5, 4, 0], 6, 6, {"smooth": "exp", "effective_order": True}),
    ([3, 1, 0, 0], [5, 4, 3, 2], 5, 7, {"smooth": "add-k", "smooth_value": 1}),
]:
    s = BLEU.compute_bleu(
        list(correct), list(total), sys_len, ref_len,
        smooth_method=opts["smooth"], smooth_value=opts.get("smooth_value"),
        effective_order=opts.get("effective_order", False),
    )
    stats_cases.append({
        "stats": {"correct": correct, "total": total, "sys_len": sys_len, "ref_len": ref_len},
        "opts": opts,
        "score": s.score,
    })

# ---------------------------------------------------------------- ROUGE

TARGETS = [  # rouge/testdata/target.txt, its first two lines (compared to ROUGE-1.5.5 in rouge_scorer_test.py)
    "ZfbCUIUuePaiLVUlCaUXxkpu XPeWing tUHfPMuZ',-Xd Y BrUgVJing M-HV.-DgdDaY.rFDJCRing Ht-LM EKBDXkME,yz'RBr q'wtion wIojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxer tKM L\n",
    "KsJdPByEtAor fE-Qg Dpdbring cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMtion psing sbKao Q m qiing LMmer HqqLFXe,XPY,J XsurkMer ,ed nB'wH'bWVHjWFEing tQ.saefZwJtKrTlixYpMMsJing UCAPwNHeYVjDing c T BUySKtion gMPfJpwGw p'NvxAoping eu pBwMBKV'I DNxqelhu,PHPxDEq,mtion SN\n",
]
PREDICTIONS = [  # rouge/testdata/prediction.txt
    "rFDJCRtion Ht-LM EKtDXkME,yz'RBr q'wer wrojNbN wL,b .a-'XdQggyFl jB-RPP'iyOIcUxi\n",
    "n cw-WeFyu vC MoBL Xdn g wkvcEiGvKtion BDFhrpMer pstion sbKao Q m qier LMmed HqqLFXe,XPY,J XsurkMeo ,ed nB'wH'bWVHjWFEer tQ.saefZwJtKrTlixYpMMNJtion UCAPwNHeYVjD\n",
]
WORDS = (
    "the quick brown fox jumps jumped jumping over lazy dogs dog running runs ran police killed kill "
    "gunman gunmen relational conditional generalization hopefulness happiness happily studies studying "
    "caresses ponies agreed plastered motoring hopping falling fizzed failing filing tried flies dying "
    "lying news innings outings proceed exceed succeed skies sky electricity electrical formalize "
    "adjustable adjustment dependent adoption communism activate effective bowdlerize controlling rolling "
    "analogously sensibility triplicate formative goodness 2019 3.14 e-mail naïve café résumé ÜBER ﬁne "
    "İstanbul KELVIN\u212a über-cool x y z a an was has its yes bus ties ate"
).split()

rouge_cases = []
for target, prediction in [
    ("testing one two", "testing"),
    ("testing one two", ""),
    ("testing one two", "testing one"),
    ("testing one two", "testing two"),
    ("The quick brown fox jumps over the lazy dog", "The quick brown dog jumps on the log."),
    ("police killed the gunman", "police kill the gunman"),
    ("police killed the gunman", "the gunman kill police"),
    ("", "w1"),
    ("w1 w2 w3 w4 w5", "/"),
    ("Hello, World! 123 and 4.5", "hello world 1234.5"),
    ("naïve café résumé über", "naive cafe resume uber"),
    ("İstanbul \u212aelvin ﬁne", "istanbul kelvin fine"),
    ("北京 東京 😀", "北京 😀"),
    ("a a a b", "a b b b"),
    ("it was his; she has its uses", "it is hers, he had it used"),
    ("the cat the cat the cat", "the cat"),
    ("runs running ran", "run runner running"),
    ("generalizations of relational conditionals", "generalization relational conditional"),
    (TARGETS[0], PREDICTIONS[0]),
    (TARGETS[1], PREDICTIONS[1]),
]:
    for stem in (False, True):
        rouge_cases.append({"target": target, "prediction": prediction, "stem": stem})
for _ in range(40):
    t = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 20)))
    p = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 20)))
    for stem in (False, True):
        rouge_cases.append({"target": t, "prediction": p, "stem": stem})

scorers = {
    stem: rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=stem) for stem in (False, True)
}
for c in rouge_cases:
    r = scorers[c["stem"]].score(c["target"], c["prediction"])
    c["want"] = {k: {"precision": v.precision, "recall": v.recall, "fmeasure": v.fmeasure} for k, v in r.items()}
# the published ROUGE-1.5.5 figures, to 5 places
r = scorers[True].score(TARGETS[1], PREDICTIONS[1])["rouge1"]
assert abs(r.recall - 0.42857) < 1e-5 and abs(r.precision - 0.69231) < 1e-5

# ---------------------------------------------------------------- Porter stemmer

# Words of NLTK's own source text (plenty of English, every suffix class), plus Porter's paper examples
# and suffix-by-suffix synthetic words for the rarer rules.
text = []
pkg = os.path.dirname(nltk.__file__)
for root, _, files in sorted(os.walk(pkg)):
    for f in sorted(files):
        if f.endswith(".py"):
            with open(os.path.join(root, f), encoding="utf-8", errors="replace") as fh:
                text.append(fh.read())
source_words = sorted(set(re.findall(r"[a-z]+", "\n".join(text).lower())))
source_words = [w for w in source_words if 3 <= len(w) <= 20]
rng.shuffle(source_words)
roots = ["relat", "condit", "rat", "val", "hesit", "digit", "conform", "radic", "differ", "vil", "analog",
         "vietnam", "predic", "oper", "feud", "decis", "hope", "callous", "form", "sensit", "sensib", "triplic",
         "electr", "good", "reviv", "allow", "infer", "airlin", "gyroscop", "adjust", "defens", "irrit",
         "replac", "depend", "adopt", "homolog", "commun", "activ", "angular", "effect", "bowdler", "control",
         "roll", "cease", "probat", "sky", "tann", "hopp", "fizz", "fail", "fil", "conflat", "troubl", "siz",
         "happ", "enjo", "sp", "tr", "fl", "bl", "ag", "fe", "oa", "y", "ey", "toy", "syzyg"]
suffixes = ["", "s", "es", "ies", "ied", "ed", "eed", "ing", "y", "ational", "tional", "enci", "anci", "izer",
            "bli", "abli", "alli", "entli", "eli", "ousli", "ization", "ation", "ator", "alism", "iveness",
            "fulness", "ousness", "aliti", "iviti", "biliti", "fulli", "logi", "ologi", "icate", "ative",
            "alize", "iciti", "ical", "ful", "ness", "al", "ance", "ence", "er", "ic", "able", "ible", "ant",
            "ement", "ment", "ent", "sion", "tion", "ou", "ism", "ate", "iti", "ous", "ive", "ize", "e", "ll",
            "alli", "allies", "ingly", "edly", "ement", "ers"]
synthetic = sorted({r + s for r in roots for s in suffixes})
paper = ("caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized "
         "hopping tanned falling hissing fizzed failing filing happy sky relational conditional rational "
         "valenci hesitanci digitizer conformabli radicalli differentli vileli analogousli vietnamization "
         "predication operator feudalism decisiveness hopefulness callousness formaliti sensitiviti "
         "sensibiliti triplicate formative formalize electriciti electrical hopeful goodness revival "
         "allowance inference airliner gyroscopic adjustable defensible irritant replacement adjustment "
         "dependent adoption homologou communism activate angulariti homologous effective bowdlerize "
         "probate rate cease controll roll generously dying lying tying news innings outings cannings "
         "howe proceed exceed succeed skies spied tried flies enjoy").split()
stem_words = sorted(set(paper + synthetic + source_words[:2500]))
stemmer = PorterStemmer()
stems = {w: stemmer.stem(w) for w in stem_words}

fixture = {
    "generated_by": "scripts/reference-scores.py",
    "tools": {
        "sacrebleu": f"{sacrebleu.__version__} (github:mjpost/sacrebleu f615c7286d4d813370efb824d94fc2bfcd3a6b94)",
        "rouge_score": "google-research/google-research rouge/ (rouge_scorer.py 61ce9f0c, tokenize.py 7ce52c05)",
        "nltk": nltk.__version__,
        "python": sys.version.split()[0],
    },
    "bleu_sentence": sentence_cases,
    "bleu_corpus": corpus_cases,
    "bleu_stats": stats_cases,
    "rouge": rouge_cases,
    "porter": stems,
}
with open(OUT, "w", encoding="utf-8") as fh:
    json.dump(fixture, fh, ensure_ascii=False, indent=1)
    fh.write("\n")
print(
    f"wrote {OUT}: {len(sentence_cases)} sentence BLEU, {len(corpus_cases)} corpus BLEU, "
    f"{len(stats_cases)} BLEU statistics, {len(rouge_cases)} ROUGE, {len(stems)} Porter stems"
)
