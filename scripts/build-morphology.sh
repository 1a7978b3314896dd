#!/usr/bin/env bash
# Rebuilds crates/pomost-text/data/{lemmas.fst,lemma-endings.txt} from the Morfologik Polish
# dictionary in Debian's libmorfologik-stemming2-java package (BSD licence). Needs apt and a
# JDK (javac); the built files are committed, so building or running Pomost needs neither.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
apt-get download libmorfologik-stemming2-java
dpkg-deb -x libmorfologik-stemming2-java_*.deb pkg
jars="pkg/usr/share/java"
cp="$jars/morfologik-fsa.jar:$jars/morfologik-stemming.jar:$jars/morfologik-polish.jar"
cat > Dump.java <<'JAVA'
import morfologik.stemming.*;
import morfologik.stemming.polish.PolishStemmer;
import java.io.*;
public class Dump {
  public static void main(String[] args) throws Exception {
    Dictionary dictionary = Dictionary.read(PolishStemmer.class.getResource("/morfologik/stemming/polish/polish.dict"));
    PrintStream out = new PrintStream(new BufferedOutputStream(new FileOutputStream(args[0]), 1 << 20), false, "UTF-8");
    for (WordData word : new DictionaryLookup(dictionary)) {
      out.print(word.getWord()); out.print('\t'); out.print(word.getStem()); out.print('\t'); out.println(word.getTag());
    }
    out.close();
  }
}
JAVA
javac -cp "$cp" Dump.java
java -cp "$cp:." Dump polish.tsv
cd "$root"
cargo run --release -q -p pomost-text --bin build-lemmas -- "$work/polish.tsv" crates/pomost-text/data
# KEEP_DUMP=FILE keeps the dump (for scripts/build-search-queries.py).
if [ -n "${KEEP_DUMP:-}" ]; then cp "$work/polish.tsv" "$KEEP_DUMP"; fi
ls -l crates/pomost-text/data
