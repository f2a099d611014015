#!/usr/bin/env bash
# Checks torch_mlp.py against thaw's trial protocol: training 0->4 in one segment and
# 0->2, 2->4 in two reports identical epochs 3 and 4; a bad parameter exits 2; a
# checkpoint behind THAW_FROM_EPOCH exits 3, one ahead is reported again; the validation
# loss falls.
# Exits 0 with "skipped: ..." when torch or scikit-learn cannot be imported.
# PYTHON picks the interpreter (default python3).
set -u

here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-python3}
script="$here/torch_mlp.py"

if ! "$py" -c 'import torch, sklearn' >/dev/null 2>&1; then
    echo "skipped: torch not importable (needs torch and scikit-learn for $py)"
    exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0
pass() { echo "ok: $1"; passed=$((passed + 1)); }
fail() { echo "FAILED: $1"; failed=$((failed + 1)); }

# segment DIR FROM TO PARAMS: runs one segment, stdout to the caller, stderr to DIR.log.
segment() {
    env -u THAW_TRIAL_FILE -u THAW_REPORT_FILE \
        THAW_TRIAL=1 THAW_FROM_EPOCH="$2" THAW_TO_EPOCH="$3" THAW_CHECKPOINT_DIR="$1" \
        THAW_PARAMS="$4" THAW_METRIC=val_loss \
        "$py" "$script" 2>>"$1.log"
}

params='{"lr": 0.003, "hidden": 32, "activation": "tanh", "seed": 3}'
mkdir "$tmp/one" "$tmp/two" "$tmp/bad"

# 1. Exact resume.
if segment "$tmp/one" 0 4 "$params" >"$tmp/one.out" &&
    segment "$tmp/two" 0 2 "$params" >"$tmp/two.out" &&
    segment "$tmp/two" 2 4 "$params" >>"$tmp/two.out"; then
    grep -E '^thaw: epoch=[34] ' "$tmp/one.out" >"$tmp/one.34"
    grep -E '^thaw: epoch=[34] ' "$tmp/two.out" >"$tmp/two.34"
    if [ "$(wc -l <"$tmp/one.34")" -eq 2 ] && cmp -s "$tmp/one.34" "$tmp/two.34" &&
        cmp -s <(grep '^thaw: ' "$tmp/one.out") <(grep '^thaw: ' "$tmp/two.out"); then
        pass "0->4 and 0->2,2->4 report identical epochs 3 and 4"
    else
        fail "resumed curve differs"
        diff <(grep '^thaw: ' "$tmp/one.out") <(grep '^thaw: ' "$tmp/two.out")
    fi
else
    fail "a training segment exited non-zero"
    cat "$tmp/one.log" "$tmp/two.log" 2>/dev/null
fi

# 2. A bad parameter exits 2 and names it.
segment "$tmp/bad" 0 1 '{"lr": 0.01, "momentum": 0.9}' >"$tmp/bad.out"
rc=$?
if [ "$rc" -eq 2 ] && grep -q momentum "$tmp/bad.log" && ! grep -q '^thaw: ' "$tmp/bad.out"; then
    pass "an unknown parameter exits 2"
else
    fail "an unknown parameter exited $rc"
    cat "$tmp/bad.log"
fi

# 3. A checkpoint behind THAW_FROM_EPOCH exits 3 (two/ holds epoch 4).
segment "$tmp/two" 5 6 "$params" >/dev/null
rc=$?
if [ "$rc" -eq 3 ]; then
    pass "a checkpoint behind THAW_FROM_EPOCH exits 3"
else
    fail "a checkpoint behind THAW_FROM_EPOCH exited $rc"
fi

# 3b. A checkpoint ahead of THAW_FROM_EPOCH (thaw killed after the save, before it
# recorded the report): epochs 3 and 4 are reported again as they were, not trained.
if segment "$tmp/two" 2 4 "$params" >"$tmp/ahead.out" &&
    cmp -s "$tmp/one.34" <(grep '^thaw: ' "$tmp/ahead.out"); then
    pass "a checkpoint ahead of THAW_FROM_EPOCH reports its epochs again"
else
    fail "a checkpoint ahead of THAW_FROM_EPOCH"
    cat "$tmp/ahead.out" "$tmp/two.log"
fi

# 4. The validation loss falls.
if "$py" - "$tmp/one.out" <<'EOF'; then
import sys
loss = {}
for line in open(sys.argv[1]):
    if line.startswith("thaw: "):
        kv = dict(p.split("=", 1) for p in line.split()[1:])
        loss[int(kv["epoch"])] = float(kv["val_loss"])
sys.exit(0 if loss[4] < loss[0] - 0.5 and loss[4] < loss[1] else 1)
EOF
    pass "the validation loss falls"
else
    fail "the validation loss did not fall"
    cat "$tmp/one.out"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
