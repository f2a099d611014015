#!/usr/bin/env bash
# The Python helper against the real `thaw tune`: a study runs to its budget; a study
# killed with SIGKILL at seeded random moments and restarted ends with exactly the epochs
# and values of an uninterrupted one; a checkpoint ahead of THAW_FROM_EPOCH is replayed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$here/.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$target" in /*) ;; *) target="$root/$target" ;; esac
thaw="${THAW_BIN:-$target/debug/thaw}"
[ -x "$thaw" ] || { echo "no thaw binary at $thaw (cargo build --bin thaw, or set THAW_BIN)" >&2; exit 1; }
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}" THAW_HOME="$root"
passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAILED: $*" >&2; fi; }

cat > "$tmp/train.py" <<'PY'
import time, thaw_trial
trial = thaw_trial.Trial()
lr, momentum = trial.params["lr"], trial.params["momentum"]
state = trial.load(default=lambda: {"w": 5.0, "v": 0.0})
for epoch in trial.epochs():
    time.sleep(0.03)  # a little work, so that kills land inside segments
    state["v"] = momentum * state["v"] - lr * 2 * (state["w"] - 1)
    state["w"] += state["v"]
    trial.report(epoch, (state["w"] - 1) ** 2 + 0.1, state)
PY
cat > "$tmp/study.toml" <<'TOML'
[objective]
command = ["python3", "train.py"]
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

tune() { (cd "$tmp" && "$thaw" tune study.toml --method asha --seed 3 --budget 40 --quiet --storage "sqlite:$1"); }

# 1. A study runs to its budget.
tune "$tmp/plain.db" > "$tmp/plain.out"
check grep -q "budget: 40 of 40" "$tmp/plain.out"

# 2. Killed at seeded random moments (SIGKILL to the tuner; its program dies with it),
#    restarted with the same command each time: the same epochs and values in the end.
kills=0
for delay in 0.4 0.9 0.3 1.2 0.6 0.8; do
  (cd "$tmp" && exec "$thaw" tune study.toml --method asha --seed 3 --budget 40 --quiet --storage "sqlite:$tmp/killed.db") > /dev/null 2>&1 &
  pid=$!
  sleep "$delay"
  if kill -9 "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
  wait "$pid" 2>/dev/null || true
done
tune "$tmp/killed.db" > "$tmp/killed.out"
check grep -q "budget: 40 of 40" "$tmp/killed.out"
for db in plain killed; do
  (cd "$tmp" && "$thaw" export --storage "sqlite:$tmp/$db.db" --out "$tmp/$db.csv" > /dev/null)
  # trial, epoch and loss: the columns that must agree (not the seconds).
  python3 - "$tmp/$db.csv" > "$tmp/$db.rows" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for r in sorted(rows, key=lambda r: (int(r["trial"]), int(r["epoch"]))):
    print(r["trial"], r["epoch"], r["loss"])
PY
done
check cmp -s "$tmp/plain.rows" "$tmp/killed.rows"
check [ "$kills" -ge 3 ]
echo "killed the tuner $kills times; $(wc -l < "$tmp/plain.rows") epochs compared"

# 3. Replay: a checkpoint two epochs ahead of THAW_FROM_EPOCH re-reports those epochs
#    from the checkpoint and trains only the rest.
mkdir -p "$tmp/ck"
run_segment() {
  THAW_PARAMS='{"lr": 0.1, "momentum": 0.5}' THAW_FROM_EPOCH="$1" THAW_TO_EPOCH="$2" \
  THAW_MAX_EPOCHS=9 THAW_METRIC=loss THAW_CHECKPOINT_DIR="$tmp/ck" python3 "$tmp/count.py"
}
cat > "$tmp/count.py" <<'PY'
import thaw_trial
trial = thaw_trial.Trial()
state = trial.load(default=lambda: {"trained": []})
for epoch in trial.epochs():
    state["trained"].append(epoch)
    trial.report(epoch, 1.0 / epoch, state)
print("trained", state["trained"])
PY
run_segment 0 4 > "$tmp/seg1.out"
run_segment 2 6 > "$tmp/seg2.out"
check grep -qx "thaw: epoch=3 loss=0.3333333333333333" "$tmp/seg2.out"
check grep -qx "thaw: epoch=4 loss=0.25" "$tmp/seg2.out"
check grep -qx "trained \[1, 2, 3, 4, 5, 6\]" "$tmp/seg2.out"
# Run outside thaw: an error that says how to run it.
if python3 "$tmp/count.py" > /dev/null 2> "$tmp/err.txt"; then failed=$((failed + 1)); fi
check grep -q "run this program through \`thaw tune\`" "$tmp/err.txt"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
