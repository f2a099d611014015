#!/usr/bin/env bash
# The Python helper against the real `thaw tune`: a study runs to its budget; a study
# whose tuner is killed with SIGKILL at seeded random moments and restarted ends with
# exactly the epochs and values of an uninterrupted one; a checkpoint ahead of
# THAW_FROM_EPOCH is replayed, not retrained; then the helper's unit tests (no thaw).
# Usage: bash python/tests/test_thaw_trial.sh   (THAW_BIN=thaw to test, PYTHON=python3,
# KEEP_TMP=1 keeps the temporary folder)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
thaw="${THAW_BIN:-$target/debug/thaw}"
[ -x "$thaw" ] || { echo "no thaw binary at $thaw (cargo build --bin thaw, or set THAW_BIN)" >&2; exit 1; }
python="${PYTHON:-python3}"
tmp="$(mktemp -d)"
if [ -n "${KEEP_TMP:-}" ]; then echo "keeping $tmp" >&2; else trap 'rm -rf "$tmp"' EXIT; fi
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" THAW_HOME="$root"
passed=0 failed=0
check() {
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $*" >&2; fi
}

# The README's example, a little slower per epoch so that kills land inside segments.
cat > "$tmp/train.py" <<'PY'
import time, thaw_trial
trial = thaw_trial.Trial()
lr, momentum = trial.params["lr"], trial.params["momentum"]
state = trial.load(default=lambda: {"w": 5.0, "v": 0.0})
trial.report_initial((state["w"] - 1) ** 2 + 0.1)
for epoch in trial.epochs():
    time.sleep(0.1)  # a little work
    state["v"] = momentum * state["v"] - lr * 2 * (state["w"] - 1)
    state["w"] += state["v"]
    trial.report(epoch, (state["w"] - 1) ** 2 + 0.1, state)
PY
# An absolute path to the program, so that a program left running can be found.
cat > "$tmp/study.toml" <<TOML
[objective]
command = ["$python", "$tmp/train.py"]
metric = "loss"
direction = "minimize"
max_epochs = 9

[[param]]
name = "lr"
type = "float"
low = 1e-3
high = 1.0
scale = "log"

[[param]]
name = "momentum"
type = "float"
low = 0.0
high = 0.99
TOML

# Each store in its own folder: the trials' folders are <store folder>/<study>/trials.
# `tune NAME &` gives $! = the tuner's own process (the subshell execs it).
mkdir -p "$tmp/plain" "$tmp/killed"
tune() { cd "$tmp" && exec "$thaw" tune study.toml --method asha --seed 3 --budget 40 --quiet --storage "sqlite:$tmp/$1/s.db"; }

# 1. A study runs to its budget.
t0=$(date +%s%N)
(tune plain) > "$tmp/plain.out" 2>&1 || { cat "$tmp/plain.out" >&2; failed=$((failed + 1)); }
plain_ms=$((($(date +%s%N) - t0) / 1000000))
"$thaw" status --storage "sqlite:$tmp/plain/s.db" > "$tmp/plain.status" 2>&1 || true
check grep -q "budget: 40 of 40" "$tmp/plain.status"

# 2. Killed with SIGKILL at seeded random moments (the tuner; its program dies with it,
#    PR_SET_PDEATHSIG), restarted with the same command each time until it finishes: the
#    same trials, epochs and values in the end.
delays="$("$python" -c 'import random; r = random.Random(40); print(" ".join("%.2f" % r.uniform(0.2, 1.0) for _ in range(6)))')"
kills=0 orphans=0
for delay in $delays; do
  (tune killed) > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  kill -9 "$pid" 2>/dev/null || true
  rc=0; wait "$pid" 2>/dev/null || rc=$?
  if [ "$rc" -eq 137 ]; then kills=$((kills + 1)); else echo "the tuner ended by itself (status $rc) before the kill" >&2; fi
  sleep 0.2
  if pgrep -f "$tmp/train.py" > /dev/null; then orphans=$((orphans + 1)); fi
done
(tune killed) > "$tmp/killed.out" 2>&1 || { cat "$tmp/killed.out" >&2; failed=$((failed + 1)); }
"$thaw" status --storage "sqlite:$tmp/killed/s.db" > "$tmp/killed.status" 2>&1 || true
check grep -q "budget: 40 of 40" "$tmp/killed.status"
for db in plain killed; do
  "$thaw" export --storage "sqlite:$tmp/$db/s.db" --out "$tmp/$db.csv" > /dev/null
  # Every column but the timings, rows in (trial, epoch) order.
  "$python" - "$tmp/$db.csv" > "$tmp/$db.rows" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
assert rows and {"trial", "epoch", "loss"} <= set(rows[0]), "no trial/epoch/loss columns"
keep = [c for c in rows[0] if c != "seconds" and "time" not in c and "wall" not in c]
print(",".join(keep))
for r in sorted(rows, key=lambda r: (int(r["trial"]), int(r["epoch"]))):
    print(",".join(r[c] for c in keep))
PY
done
check cmp -s "$tmp/plain.rows" "$tmp/killed.rows"
cmp -s "$tmp/plain.rows" "$tmp/killed.rows" || diff "$tmp/plain.rows" "$tmp/killed.rows" >&2 || true
check [ "$kills" -eq 6 ]
check [ "$orphans" -eq 0 ]
replays="$(cat "$tmp"/killed/study/trials/*/log.txt 2>/dev/null | grep -c "were trained before thaw stopped" || true)"
echo "uninterrupted study: $plain_ms ms; killed the tuner $kills times at $delays s (no program left: $orphans); $(($(wc -l < "$tmp/plain.rows") - 1)) epochs compared; $replays segment(s) replayed epochs"

# 3. Replay with the real program: a checkpoint two epochs ahead of THAW_FROM_EPOCH
#    re-reports those epochs' recorded values and trains only the rest.
segment() {
  env THAW_PARAMS='{"lr": 0.1, "momentum": 0.5}' \
    THAW_FROM_EPOCH="$1" THAW_TO_EPOCH="$2" THAW_MAX_EPOCHS=9 THAW_METRIC=loss \
    THAW_CHECKPOINT_DIR="$tmp/ck" "$python" "$tmp/count.py"
}
cat > "$tmp/count.py" <<'PY'
import sys, thaw_trial
trial = thaw_trial.Trial()
state = trial.load(default=lambda: {"trained": []})
for epoch in trial.epochs():
    state["trained"].append(epoch)
    trial.report(epoch, 1.0 / epoch, state)
print("trained", state["trained"], file=sys.stderr)
PY
mkdir -p "$tmp/ck"
segment 0 4 > "$tmp/seg1.out" 2> "$tmp/seg1.err"
segment 2 6 > "$tmp/seg2.out" 2> "$tmp/seg2.err"
cat > "$tmp/seg2.want" <<'OUT'
thaw: epoch=3 loss=0.3333333333333333
thaw: epoch=4 loss=0.25
thaw: epoch=5 loss=0.2
thaw: epoch=6 loss=0.16666666666666666
OUT
check cmp -s "$tmp/seg2.out" "$tmp/seg2.want"
check grep -qx "trained \[1, 2, 3, 4, 5, 6\]" "$tmp/seg2.err"
# Run outside thaw: an error that says how to run it, nothing on stdout.
rc=0; "$python" "$tmp/count.py" > "$tmp/outside.out" 2> "$tmp/outside.err" || rc=$?
check [ "$rc" -ne 0 ]
check [ ! -s "$tmp/outside.out" ]
check grep -q "run this program through \`thaw tune\`" "$tmp/outside.err"

# 4. The unit tests (fake environments, no thaw): one check each.
for name in $(sed -n 's/^    def \(test_[a-z_]*\)(self.*/\1/p' "$here/tests/test_unit.py"); do
  if (cd "$here/tests" && "$python" -m unittest -q "test_unit.Tests.$name") > "$tmp/unit.log" 2>&1; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1)); echo "FAILED: unit test $name" >&2; cat "$tmp/unit.log" >&2
  fi
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
