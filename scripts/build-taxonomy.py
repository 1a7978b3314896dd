#!/usr/bin/env python3
"""Builds the vocabulary Pomost ships (crates/pomost-taxonomy/data/) from the sources in
../shared/taxonomy (KZiS 2023, the GUS job-title thesaurus, ESCO in Polish). The service
never reads ../shared: it embeds what this script writes. Run from the repository root:

    python3 scripts/build-taxonomy.py [SOURCE_DIR]

Writes:
  kzis.tsv                 code, name: every KZiS 2023 code (1 to 6 digits).
  occupation-texts.tsv.gz  code, source, text: what describes a code, one text a line.
                           Sources: name, title (a job title people use, GUS thesaurus),
                           esco-name, esco-alt (an ESCO alternative name), description
                           (the ministry's description, without its leading name),
                           esco-description, unit-summary and unit-tasks (4-digit codes).
  esco-skills.tsv.gz       code, label: the ESCO skills and knowledge ESCO links to a code.
"""
import csv
import gzip
import os
import re
import sys

SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "taxonomy")
OUT = os.path.join(os.path.dirname(__file__), "..", "crates", "pomost-taxonomy", "data")


def clean(text):
    return re.sub(r"\s+", " ", text or "").strip()


def occupation_name(text):
    """The hierarchy file marks occupations taught in vocational schools with a trailing
    capital S ("KucharzS"); the name is without it."""
    text = clean(text)
    return text[:-1] if re.search(r"[a-ząćęłńóśźż)]S$", text) else text


def read_csv(name):
    with open(os.path.join(SRC, name), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f, delimiter="\t" if name.endswith(".tsv") else ","))


def main():
    names = {}
    for row in read_csv("kzis-2023-hierarchy.tsv"):
        code, name = row["class"].strip(), occupation_name(row["name"])
        if code.isdigit() and name:
            names[code] = name
    for row in read_csv("kzis-2023-occupations.csv"):
        code = row["code"].strip()
        if len(code) == 6 and code.isdigit() and code not in names:
            names[code] = clean(row["name"])
    occupations = {code for code in names if len(code) == 6}

    texts = []  # (code, source, text)
    for code in sorted(occupations):
        texts.append((code, "name", names[code]))
    for row in read_csv("gus-job-title-thesaurus.csv"):
        code = row["code"].strip()
        if code in occupations:
            for title in row["desc"].split(","):
                title = clean(title)
                if title:
                    texts.append((code, "title", title))
    for row in read_csv("kzis-occupation-descriptions.csv"):
        code = row["class"].strip()
        if code not in occupations:
            continue
        desc = clean(row["desc"])
        name = names[code]
        if desc.lower().startswith(name.lower()):
            desc = desc[len(name):].strip()
        if desc:
            texts.append((code, "description", desc))
    skills = []
    for row in read_csv("esco-pl-by-kzis.csv"):
        code, var, value = row["code"].strip(), row["var"], clean(row["desc"])
        if code not in occupations or not value:
            continue
        if var == "occupation_name":
            texts.append((code, "esco-name", value))
        elif var == "occupation_alternative_names":
            for alt in value.split(";"):
                alt = clean(alt)
                if alt:
                    texts.append((code, "esco-alt", alt))
        elif var == "occupation_description":
            texts.append((code, "esco-description", value))
        elif var == "skills":
            for label in value.split(";"):
                label = clean(label)
                if label:
                    skills.append((code, label))
    for row in read_csv("kzis-unit-group-descriptions.csv"):
        code = row["kod"].strip()
        if len(code) != 4 or code not in names:
            continue
        if clean(row["synteza"]):
            texts.append((code, "unit-summary", clean(row["synteza"])))
        if clean(row["zadania_zawodowe"]):
            texts.append((code, "unit-tasks", clean(row["zadania_zawodowe"])))

    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "kzis.tsv"), "w", encoding="utf-8") as f:
        for code in sorted(names):
            f.write(f"{code}\t{names[code]}\n")
    texts = sorted(set(texts))
    with gzip.GzipFile(os.path.join(OUT, "occupation-texts.tsv.gz"), "wb", mtime=0) as f:
        for code, source, text in texts:
            f.write(f"{code}\t{source}\t{text.replace(chr(9), ' ')}\n".encode())
    skills = sorted(set(skills))
    with gzip.GzipFile(os.path.join(OUT, "esco-skills.tsv.gz"), "wb", mtime=0) as f:
        for code, label in skills:
            f.write(f"{code}\t{label}\n".encode())
    print(f"{len(names)} codes ({len(occupations)} occupations), {len(texts)} texts, "
          f"{len(skills)} code-skill links, {len({l for _, l in skills})} skill labels")


main()
