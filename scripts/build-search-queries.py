#!/usr/bin/env python3
"""Builds benches/data/inflected-queries.tsv: inflected Polish queries for offer search,
each with the KZiS occupation whose offer it should find. Run after
scripts/build-morphology.sh with KEEP_DUMP=polish.tsv (the Morfologik dump: form, lemma, tags):

    python3 scripts/build-search-queries.py polish.tsv

For 600 occupation names of one to four words (no brackets, slashes or commas), drawn by a
hash of the code, it writes up to three queries (code, form, query):
  plural    - the head noun and the adjectives agreeing with it in the nominative plural
  genitive  - the same in the genitive plural ("brak magazynierów")
  feminine  - the feminine job title, adjectives in the feminine (only where the
              dictionary has one: "kelnerka" for "kelner", "sprzedawczyni" for "sprzedawca")
Words after the head's agreeing adjectives (genitive complements) stay as they are.
"""
import collections
import hashlib
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(__file__), "..")
DUMP = sys.argv[1]
KZIS = os.path.join(ROOT, "crates", "pomost-taxonomy", "data", "kzis.tsv")
OUT = os.path.join(ROOT, "benches", "data", "inflected-queries.tsv")

names = {}
for line in open(KZIS, encoding="utf-8"):
    code, name = line.rstrip("\n").split("\t", 1)
    if len(code) == 6 and not re.search(r"[()/,;]", name) and 1 <= len(name.split()) <= 4 and not code.endswith("90"):
        names[code] = name
chosen = sorted(names, key=lambda code: hashlib.sha256(code.encode()).hexdigest())[:600]
words = {w.lower() for code in chosen for w in names[code].split()}

# Pass 1: readings of the title words. Pass 2: every form of their lemmas.
readings = collections.defaultdict(list)  # form -> [(lemma, tag)]
lemmas = set()
with open(DUMP, encoding="utf-8") as dump:
    for line in dump:
        form, lemma, tags = line.rstrip("\n").split("\t")
        if form.lower() in words:
            for tag in re.split(r"[+|]", tags):
                readings[form.lower()].append((lemma, tag))
                lemmas.add(lemma)
# Feminine counterparts: feminine nouns whose masculine form (by the same endings the lemma
# builder uses) is one of our lemmas.
def masculine_candidates(f):
    out = []
    if f.endswith("czyni"): out.append(f[:-5] + "ca")
    if f.endswith("iczka"): out.append(f[:-5] + "ik")
    if f.endswith("yni") or f.endswith("ini"): out.append(f[:-3])
    if f.endswith("ica"): out += [f[:-3] + "ik", f[:-3] + "ic"]
    if f.endswith("ka"): out += [f[:-2], f[:-2] + "z", f[:-2] + "a"]
    return out
forms = collections.defaultdict(list)  # lemma -> [(form, tag)]
feminine = {}
with open(DUMP, encoding="utf-8") as dump:
    for line in dump:
        form, lemma, tags = line.rstrip("\n").split("\t")
        if lemma in lemmas:
            for tag in re.split(r"[+|]", tags):
                forms[lemma].append((form, tag))
        if form == lemma and tags.startswith("subst:sg:nom:f"):
            for masculine in masculine_candidates(lemma):
                if masculine in lemmas:
                    # "kierowniczka" over "kierownica" (a steering wheel): -ica last.
                    known = feminine.get(masculine)
                    if known is None or (known.endswith("ica") and not lemma.endswith("ica")):
                        feminine[masculine] = lemma
                    forms.setdefault(lemma, [])
                    break
# Forms of the feminine lemmas.
wanted = set(feminine.values())
with open(DUMP, encoding="utf-8") as dump:
    for line in dump:
        form, lemma, tags = line.rstrip("\n").split("\t")
        if lemma in wanted:
            for tag in re.split(r"[+|]", tags):
                forms[lemma].append((form, tag))


def parts(tag):
    return [set(p.split(".")) for p in tag.split(":")]


def pick(lemma, pos, number, case, gender=None):
    for form, tag in forms.get(lemma, []):
        p = parts(tag)
        if len(p) < 4 or not (pos & p[0]) or number not in p[1] or case not in p[2]:
            continue
        if gender and not (gender & p[3]):
            continue
        if "adj" in p[0] and len(p) > 4 and "pos" not in p[4]:
            continue
        return form
    return None


def head(words_):
    """Index of the head noun and its reading: the first word read as a noun in the nominative."""
    for i, w in enumerate(words_):
        # A personal noun (m1) first: "operator" is a person here, not a device.
        candidates = [(lemma, parts(tag)) for lemma, tag in readings.get(w.lower(), [])]
        candidates = [(lemma, p) for lemma, p in candidates if "subst" in p[0] and len(p) >= 4 and "sg" in p[1] and "nom" in p[2]]
        candidates.sort(key=lambda c: "m1" not in c[1][3])
        if candidates:
            return i, candidates[0][0], candidates[0][1][3]
    return None


def inflect(name, number, case, to_feminine=False):
    ws = name.split()
    found = head(ws)
    if not found:
        return None
    at, lemma, gender = found
    target_gender = {"f"} if to_feminine else gender
    if number == "pl" and not to_feminine:
        target_gender = {"m1", "p1"} if "m1" in gender else {"m2", "m3", "f", "n1", "n2", "n", "p2", "p3"}
    out = []
    for i, w in enumerate(ws):
        lw = w.lower()
        agreeing = i <= at + 1 and i != at and any("adj" in parts(t)[0] for _, t in readings.get(lw, []))
        if i == at:
            noun = feminine.get(lemma) if to_feminine else lemma
            if not noun:
                return None
            form = pick(noun, {"subst"}, number, case, {"f"} if to_feminine else gender)
        elif agreeing:
            adj = next((l for l, t in readings[lw] if "adj" in parts(t)[0]), None)
            form = pick(adj, {"adj"}, number, case, target_gender)
        else:
            form = w if i > at else None
            if form is None:
                return None
        if not form:
            return None
        out.append(form)
    return " ".join(out)


rows = []
for code in chosen:
    name = names[code]
    for kind, args in [("plural", ("pl", "nom")), ("genitive", ("pl", "gen"))]:
        query = inflect(name, *args)
        if query and query.lower() != name.lower():
            rows.append((code, kind, query))
    query = inflect(name, "sg", "nom", to_feminine=True)
    if query and query.lower() != name.lower():
        rows.append((code, "feminine", query))
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w", encoding="utf-8") as out:
    out.write("# Inflected Polish queries for offer search (scripts/build-search-queries.py from the\n")
    out.write("# Morfologik dictionary and KZiS 2023 names): code, form, query. The offer to find is\n")
    out.write("# the one titled with the occupation's name.\n")
    for row in rows:
        out.write("\t".join(row) + "\n")
print(f"{len(rows)} queries for {len(chosen)} occupations: " + ", ".join(f"{k} {v}" for k, v in collections.Counter(r[1] for r in rows).items()))
