#!/usr/bin/env python3
"""torch_mlp.py: an example training program for `thaw tune`, in PyTorch.

The twin of the Rust `mlp-adam`: an MLP trained with torch.optim.Adam, here on
scikit-learn's bundled handwritten digits (load_digits: 1,797 8x8 images, 64
features, 10 classes; shipped inside the package, no download), with a fixed
80/20 train/validation split. Run it without THAW_* variables (or with --help)
for the protocol.

Needs torch and scikit-learn (`pip install torch scikit-learn`).
"""

import json
import os
import sys
import time

USAGE = """\
torch_mlp.py: an example program for `thaw tune` - an MLP trained with torch.optim.Adam
to classify scikit-learn's handwritten digits (1,797 8x8 images, 10 classes; bundled with
scikit-learn; fixed 80/20 train/validation split).

thaw runs it once per segment of a configuration's training, with
  THAW_FROM_EPOCH, THAW_TO_EPOCH  train epochs FROM+1..=TO (0 <= FROM < TO)
  THAW_CHECKPOINT_DIR             the configuration's own directory; with FROM > 0 the
                                  checkpoint (torch_mlp.pt: weights, Adam state, epoch,
                                  RNG state) is loaded from it, and rewritten after each epoch
  THAW_PARAMS                     JSON object of hyperparameters (all optional):
      lr 0.001, beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0 (L2),
      hidden 64 (1..=1024), layers 2 (0..=8), activation "relu"|"tanh"|"gelu",
      batch 32 (1..=4096), seed 0 (initial weights and each epoch's shuffle)
  THAW_METRIC                     val_loss (default), train_loss or val_error: the key
                                  reported first
  THAW_TRIAL, THAW_TRIAL_FILE     the id (logged) and a JSON file with the same fields,
                                  read for any variable that is not set
After each epoch it saves its checkpoint (with the scores reported so far) atomically,
then prints and flushes
  thaw: epoch=<e> val_loss=<v> train_loss=<v> val_error=<v>
(and, when FROM = 0, that line for epoch 0 before training). A checkpoint ahead of FROM
(saved just before thaw was stopped, before it recorded the line) is not trained again:
its stored lines for FROM+1.. are printed again and training goes on after it. The curve is the same
whether trained in one segment or several (one CPU thread, deterministic algorithms).

Exit codes: 0 done; 2 bad environment, parameters or checkpoint (message on stderr);
3 the checkpoint holds fewer epochs than THAW_FROM_EPOCH, or other parameters;
4 training diverged (non-finite loss).
"""

VARIABLES = (
    "THAW_TRIAL",
    "THAW_FROM_EPOCH",
    "THAW_TO_EPOCH",
    "THAW_CHECKPOINT_DIR",
    "THAW_PARAMS",
    "THAW_METRIC",
    "THAW_REPORT_FILE",
    "THAW_TRIAL_FILE",
)
CHECKPOINT = "torch_mlp.pt"
METRICS = ("val_loss", "train_loss", "val_error")
SPLIT_SEED = 0x7A115EED
VALIDATION_SHARE = 0.2
MASK64 = (1 << 64) - 1

DEFAULTS = {
    "lr": 1e-3,
    "beta1": 0.9,
    "beta2": 0.999,
    "eps": 1e-8,
    "weight_decay": 0.0,
    "hidden": 64,
    "layers": 2,
    "activation": "relu",
    "batch": 32,
    "seed": 0,
}
ACTIVATIONS = ("relu", "tanh", "gelu")


class Failure(Exception):
    """A failure with the exit code thaw sees."""

    def __init__(self, message, code=2):
        super().__init__(message)
        self.code = code


# --- the segment thaw asks for ------------------------------------------------------


def read_trial(env):
    """The segment from THAW_* variables, falling back to THAW_TRIAL_FILE's fields."""
    file_fields = {}
    path = env.get("THAW_TRIAL_FILE")
    if path:
        try:
            with open(path, encoding="utf-8") as f:
                file_fields = json.load(f)
        except (OSError, ValueError) as e:
            raise Failure(f"cannot read THAW_TRIAL_FILE {path}: {e}")
        if not isinstance(file_fields, dict):
            raise Failure(f"THAW_TRIAL_FILE {path} must hold a JSON object")

    def field(var, key):
        value = env.get(var)
        if value:
            return value
        value = file_fields.get(key)
        if value is None:
            return None
        return value if isinstance(value, str) else json.dumps(value)

    def required(var, key):
        value = field(var, key)
        if value is None:
            raise Failure(
                f"{var} is not set (nor `{key}` in THAW_TRIAL_FILE); "
                "run without THAW_* variables for usage"
            )
        return value

    def integer(var, text):
        text = text.strip()
        if not text.isdigit():
            raise Failure(f"{var} must be a non-negative integer, got {text!r}")
        return int(text)

    trial = field("THAW_TRIAL", "trial")
    trial = integer("THAW_TRIAL", trial) if trial is not None else None
    start = integer("THAW_FROM_EPOCH", required("THAW_FROM_EPOCH", "from_epoch"))
    end = integer("THAW_TO_EPOCH", required("THAW_TO_EPOCH", "to_epoch"))
    if start >= end:
        raise Failure(f"THAW_FROM_EPOCH ({start}) must be below THAW_TO_EPOCH ({end})")
    directory = required("THAW_CHECKPOINT_DIR", "checkpoint_dir")
    if not os.path.isdir(directory):
        raise Failure(f"THAW_CHECKPOINT_DIR {directory} is not a directory")
    text = field("THAW_PARAMS", "params") or "{}"
    try:
        params = json.loads(text)
    except ValueError as e:
        raise Failure(f"THAW_PARAMS is not valid JSON: {e}")
    if not isinstance(params, dict):
        raise Failure(f"THAW_PARAMS must be a JSON object, got {text}")
    metric = field("THAW_METRIC", "metric") or "val_loss"
    if metric not in METRICS:
        raise Failure(
            f"THAW_METRIC {metric!r} is not reported by torch_mlp.py; "
            f"it reports {', '.join(METRICS)}"
        )
    return {
        "trial": trial,
        "from_epoch": start,
        "to_epoch": end,
        "checkpoint_dir": directory,
        "params": check_params(params),
        "metric": metric,
    }


def check_params(raw):
    """The configuration with defaults filled in; unknown names and bad values fail."""
    unknown = [k for k in raw if k not in DEFAULTS]
    if unknown:
        raise Failure(
            f"unknown parameter(s) in THAW_PARAMS: {', '.join(unknown)}; "
            f"accepted: {', '.join(DEFAULTS)}"
        )
    p = dict(DEFAULTS)
    floats = {
        "lr": (lambda x: x > 0, "> 0"),
        "beta1": (lambda x: 0 <= x < 1, "in [0, 1)"),
        "beta2": (lambda x: 0 <= x < 1, "in [0, 1)"),
        "eps": (lambda x: x > 0, "> 0"),
        "weight_decay": (lambda x: x >= 0, ">= 0"),
    }
    ints = {"hidden": (1, 1024), "layers": (0, 8), "batch": (1, 4096), "seed": (0, MASK64)}
    for key, value in raw.items():
        if key in floats:
            ok, text = floats[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise Failure(f"parameter `{key}` must be a number, got {json.dumps(value)}")
            value = float(value)
            if value != value or value in (float("inf"), float("-inf")) or not ok(value):
                raise Failure(f"parameter `{key}` must be {text}, got {json.dumps(value)}")
        elif key in ints:
            lo, hi = ints[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise Failure(
                    f"parameter `{key}` must be a non-negative integer, got {json.dumps(value)}"
                )
            if not lo <= value <= hi:
                raise Failure(f"parameter `{key}` must be in {lo}..={hi}, got {value}")
        elif key == "activation":
            if not isinstance(value, str):
                raise Failure(f"parameter `activation` must be a string, got {json.dumps(value)}")
            if value not in ACTIVATIONS:
                raise Failure(
                    'parameter `activation` must be "relu", "tanh" or "gelu", '
                    f"got {json.dumps(value)}"
                )
        p[key] = value
    return p


# --- data, model, training ----------------------------------------------------------


def splitmix(x):
    """SplitMix64 of x."""
    z = (x + 0x9E3779B97F4A7C15) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return z ^ (z >> 31)


def epoch_seed(seed, epoch):
    """The shuffle seed of `epoch`: depends only on (seed, epoch)."""
    return splitmix(splitmix(seed) ^ epoch) & ((1 << 63) - 1)


def load_data(torch):
    """Digits scaled to [0, 1], split 80/20 by a fixed permutation."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x = torch.tensor(digits.data, dtype=torch.float32) / 16.0
    y = torch.tensor(digits.target, dtype=torch.int64)
    g = torch.Generator().manual_seed(SPLIT_SEED)
    order = torch.randperm(len(y), generator=g)
    n_val = round(len(y) * VALIDATION_SHARE)
    val, train = order[:n_val], order[n_val:]
    return (x[train], y[train]), (x[val], y[val]), x.shape[1], int(y.max()) + 1


def build_model(torch, p, inputs, classes):
    """The MLP, initialised by torch's defaults from the seed."""
    nn = torch.nn
    act = {"relu": nn.ReLU, "tanh": nn.Tanh, "gelu": nn.GELU}[p["activation"]]
    torch.manual_seed(p["seed"])
    layers, width = [], inputs
    for _ in range(p["layers"]):
        layers += [nn.Linear(width, p["hidden"]), act()]
        width = p["hidden"]
    layers.append(nn.Linear(width, classes))
    return nn.Sequential(*layers)


def scores(torch, model, train, val):
    """(val_loss, train_loss, val_error) of the model, in evaluation mode."""
    f = torch.nn.functional
    model.eval()
    with torch.no_grad():
        val_logits = model(val[0])
        val_loss = f.cross_entropy(val_logits, val[1]).item()
        val_error = (val_logits.argmax(1) != val[1]).float().mean().item()
        train_loss = f.cross_entropy(model(train[0]), train[1]).item()
    model.train()
    return {"val_loss": val_loss, "train_loss": train_loss, "val_error": val_error}


def line(epoch, s, metric):
    """The report line: the requested metric first, the others after it."""
    keys = [metric] + [m for m in METRICS if m != metric]
    return f"thaw: epoch={epoch} " + " ".join(f"{k}={s[k]!r}" for k in keys)


def canonical(p):
    """The configuration as a string a checkpoint records (and compares) verbatim."""
    return json.dumps(p, sort_keys=True)


def save_checkpoint(torch, directory, epoch, p, history, model, optim):
    """Writes the checkpoint to a temporary name, syncs it and renames it into place."""
    target = os.path.join(directory, CHECKPOINT)
    tmp = os.path.join(directory, f".{CHECKPOINT}.tmp-{os.getpid()}")
    state = {
        "epoch": epoch,
        "params": canonical(p),
        "scores": json.dumps(history),
        "model": model.state_dict(),
        "optimizer": optim.state_dict(),
        "torch_rng": torch.get_rng_state(),
    }
    try:
        with open(tmp, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except OSError as e:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise Failure(f"cannot write checkpoint {target}: {e}")


def load_checkpoint(torch, directory, epoch, p, model, optim):
    """Restores model, Adam state and RNG state saved after `epoch` or more epochs;
    returns the scores of the checkpoint's epochs 0..=its epoch."""
    path = os.path.join(directory, CHECKPOINT)
    if not os.path.isfile(path):
        raise Failure(
            f"no checkpoint {path} to resume epoch {epoch} from "
            "(THAW_FROM_EPOCH > 0 needs the checkpoint of the previous segment)"
        )
    try:
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except TypeError:  # torch < 1.13 has no weights_only
            state = torch.load(path, map_location="cpu")
    except Exception as e:  # noqa: BLE001 - any unreadable file is bad input
        raise Failure(f"checkpoint {path}: unreadable ({e})")
    if not isinstance(state, dict) or "epoch" not in state:
        raise Failure(f"checkpoint {path}: not a torch_mlp.py checkpoint")
    try:
        history = json.loads(state.get("scores", "[]"))
    except (TypeError, ValueError):
        history = []
    if state["epoch"] < epoch or len(history) != state["epoch"] + 1:
        raise Failure(
            f"checkpoint {path} holds epoch {state['epoch']} (scores of {len(history)} "
            f"epochs), but THAW_FROM_EPOCH is {epoch}",
            code=3,
        )
    if state.get("params") != canonical(p):
        raise Failure(
            f"checkpoint {path} was trained with other parameters ({state.get('params')})",
            code=3,
        )
    try:
        model.load_state_dict(state["model"])
        optim.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["torch_rng"])
    except (KeyError, RuntimeError, ValueError) as e:
        raise Failure(f"checkpoint {path}: does not fit the model ({e})")
    return history


def run_segment(t, out):
    """Trains epochs from_epoch+1 ..= to_epoch, checkpointing then reporting each."""
    try:
        import torch
    except ImportError as e:
        raise Failure(f"torch is not importable ({e}); pip install torch scikit-learn")
    try:
        import sklearn  # noqa: F401
    except ImportError as e:
        raise Failure(f"scikit-learn is not importable ({e}); pip install scikit-learn")
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    p, directory, metric = t["params"], t["checkpoint_dir"], t["metric"]
    trial = "?" if t["trial"] is None else t["trial"]
    print(
        f"torch_mlp.py: trial {trial}, epochs {t['from_epoch'] + 1}..={t['to_epoch']}, "
        f"{canonical(p)}",
        file=sys.stderr,
    )
    train, val, inputs, classes = load_data(torch)
    model = build_model(torch, p, inputs, classes)
    optim = torch.optim.Adam(
        model.parameters(),
        lr=p["lr"],
        betas=(p["beta1"], p["beta2"]),
        eps=p["eps"],
        weight_decay=p["weight_decay"],
    )
    f = torch.nn.functional

    def report(epoch, s):
        for k in METRICS:
            if s[k] != s[k] or s[k] in (float("inf"), float("-inf")):
                raise Failure(f"training diverged at epoch {epoch} ({k} {s[k]}); lower lr?", 4)
        print(line(epoch, s, metric), file=out, flush=True)

    # A checkpoint ahead of from_epoch was saved just before thaw stopped, before it
    # recorded the report: those epochs are reported again, not trained again.
    if t["from_epoch"] == 0:
        history = [scores(torch, model, train, val)]
        first = 0
    else:
        history = load_checkpoint(torch, directory, t["from_epoch"], p, model, optim)
        first = t["from_epoch"] + 1
    held = min(len(history) - 1, t["to_epoch"])
    for epoch in range(first, held + 1):
        report(epoch, history[epoch])
    del history[held + 1 :]
    n = len(train[1])
    for epoch in range(held + 1, t["to_epoch"] + 1):
        started = time.perf_counter()
        g = torch.Generator().manual_seed(epoch_seed(p["seed"], epoch))
        order = torch.randperm(n, generator=g)
        for i in range(0, n, p["batch"]):
            rows = order[i : i + p["batch"]]
            optim.zero_grad(set_to_none=True)
            loss = f.cross_entropy(model(train[0][rows]), train[1][rows])
            loss.backward()
            optim.step()
        s = scores(torch, model, train, val)
        history.append(s)
        save_checkpoint(torch, directory, epoch, p, history, model, optim)
        report(epoch, s)
        ms = (time.perf_counter() - started) * 1e3
        print(f"torch_mlp.py: epoch {epoch} took {ms:.0f} ms", file=sys.stderr)


def main(argv, env):
    """Entry point; returns the exit code."""
    if any(a in ("-h", "--help") for a in argv):
        sys.stdout.write(USAGE)
        return 0
    if argv:
        sys.stderr.write(f"torch_mlp.py: unexpected argument {argv[0]!r}\n\n{USAGE}")
        return 2
    if not any(v in env for v in VARIABLES):
        sys.stderr.write(USAGE)
        return 2
    try:
        run_segment(read_trial(env), sys.stdout)
    except Failure as e:
        print(f"torch_mlp.py: error: {e}", file=sys.stderr)
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
