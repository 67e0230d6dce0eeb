#!/usr/bin/env bash
# Counts an example's lines as issue 25 compares them with other libraries' programs: non-blank,
# non-comment lines, leaving out the unattended self-test (files whose name contains `self_test`,
# and lines between `// self-test: begin` and `// self-test: end`).
# Usage: scripts/example-lines.sh examples/gtk_primes.rs [more files...]
set -euo pipefail
for f in "$@"; do
  case "$f" in *self_test*) continue ;; esac
  n=$(awk '
    /\/\/ self-test: begin/ { skip = 1; next }
    /\/\/ self-test: end/   { skip = 0; next }
    skip { next }
    /^[[:space:]]*$/ { next }
    /^[[:space:]]*\/\// { next }
    { count++ }
    END { print count + 0 }' "$f")
  printf '%6d %s\n' "$n" "$f"
done
