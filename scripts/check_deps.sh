#!/usr/bin/env bash
# Checks that every `#include "x/y.hpp"` in the C++ folders follows the dependency table of
# docs/design.md (the fenced block that starts with ```deps, one `folder: dep1 dep2 ...` line
# per folder; a folder may always include itself).
#   scripts/check_deps.sh [ROOT]     exit 0: all allowed; 1: forbidden edges (listed); 2: bad table
# A file belongs to the longest table folder its path starts with (search/nn/x.cpp is folder
# search/nn, search/x.cpp is folder search); an included path maps to a folder the same way,
# and includes that map to no table folder (system, generated or same-directory headers) are
# not checked.
set -euo pipefail
root=${1:-"$(dirname "$0")/.."}
cd "$root"
doc=docs/design.md
[[ -f $doc ]] || { echo "check_deps: no $doc under $root" >&2; exit 2; }

table=$(mktemp)
trap 'rm -f "$table"' EXIT
awk '/^```deps[[:space:]]*$/ { on = 1; next } on && /^```/ { exit } on' "$doc" >"$table"
[[ -s $table ]] || { echo "check_deps: no \`\`\`deps block in $doc" >&2; exit 2; }

folders=$(awk -F: 'NF && $1 !~ /^[[:space:]]*#/ { gsub(/[[:space:]]/, "", $1); print $1 }' "$table")
files=()
for f in $folders; do
  [[ -d $f ]] || continue # a folder of the table that does not exist (yet) has no files
  while IFS= read -r file; do files+=("$file"); done < <(find "$f" -type f \( -name '*.hpp' -o -name '*.cpp' \) | sort)
done
# Folders nest (search, search/nn): keep each file once.
mapfile -t files < <(printf '%s\n' "${files[@]}" | sort -u)

awk -v table="$table" '
  function trim(s) { gsub(/^[[:space:]]+|[[:space:]]+$/, "", s); return s }
  # The longest table folder that `path` lies in, or "".
  function owner(path,    f, best) {
    best = ""
    for (f in folder)
      if (index(path, f "/") == 1 && length(f) > length(best)) best = f
    return best
  }
  FILENAME == table {
    line = $0
    sub(/#.*/, "", line)
    if (trim(line) == "") next
    if (index(line, ":") == 0) { printf "check_deps: %s: line \"%s\" is not \"folder: deps...\"\n", FILENAME, $0 > "/dev/stderr"; bad_table = 1; next }
    f = trim(substr(line, 1, index(line, ":") - 1))
    deps = trim(substr(line, index(line, ":") + 1))
    folder[f] = 1
    rule[f] = f ": " deps
    allowed[f, f] = 1
    n = split(deps, d, /[[:space:]]+/)
    for (i = 1; i <= n; i++) if (d[i] != "") { allowed[f, d[i]] = 1; named[d[i]] = f }
    next
  }
  FNR == 1 {
    if (!checked_table) {
      checked_table = 1
      for (x in named)
        if (!(x in folder)) { printf "check_deps: \"%s\" (in the rule of %s) is not a folder of the table\n", x, named[x] > "/dev/stderr"; bad_table = 1 }
      if (bad_table) exit 2
    }
    from = owner(FILENAME)
    nfiles++
  }
  /^[[:space:]]*#[[:space:]]*include[[:space:]]*"/ {
    inc = $0
    sub(/^[^"]*"/, "", inc)
    sub(/".*/, "", inc)
    to = owner(inc)
    if (to == "") next
    nincludes++
    if (!((from, to) in allowed)) {
      printf "%s:%d: #include \"%s\": %s may not include %s (rule \"%s\")\n", FILENAME, FNR, inc, from, to, rule[from]
      nbad++
    }
  }
  END {
    if (bad_table) exit 2
    if (nbad) { printf "check_deps: %d forbidden include(s); the allowed edges are the ```deps table of docs/design.md\n", nbad; exit 1 }
    printf "check_deps: %d files, %d includes between folders, all allowed by docs/design.md\n", nfiles, nincludes
  }
' "$table" "${files[@]}"
