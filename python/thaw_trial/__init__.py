"""The trial side of thaw's freeze-thaw protocol, for Python training programs.

thaw runs a program once per *segment* of a configuration's training. This module reads
the configuration, restores and saves the checkpoint, replays epochs a killed run had
already trained, and reports, so that a program needs no protocol code::

    import thaw_trial

    trial = thaw_trial.Trial()
    lr = trial.params["lr"]
    state = trial.load(default=lambda: {"w": 5.0, "v": 0.0})
    for epoch in trial.epochs():
        state["v"] = 0.9 * state["v"] - lr * 2 * (state["w"] - 1)
        state["w"] += state["v"]
        trial.report(epoch, (state["w"] - 1) ** 2, state)

``report`` saves the checkpoint first (atomically: temporary file, fsync, rename) with
every value reported so far, then prints ``thaw: epoch=N metric=V``. When thaw was killed
between a save and its reading of the report, the next segment starts earlier than the
checkpoint: ``epochs()`` then re-reports the recorded values of those epochs without
training them, and yields only the epochs still to train.
"""

import json
import math
import os
import pickle
import sys

__all__ = ["Trial", "ThawTrialError"]

_STATE_FILE = "thaw_trial.pkl"
_VALUES_FILE = "thaw_trial_values.json"


class ThawTrialError(RuntimeError):
    """The program was not started by thaw, or its checkpoint cannot be used."""


def _env(name):
    value = os.environ.get(name)
    if value is None:
        raise ThawTrialError(
            "thaw_trial: %s is not set: run this program through `thaw tune`" % name
        )
    return value


def _int_env(name):
    text = _env(name)
    try:
        return int(text)
    except ValueError:
        raise ThawTrialError("thaw_trial: %s=%r is not a whole number" % (name, text))


def _atomic_write(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _format(value):
    value = float(value)
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


class Trial:
    """One segment of a configuration's training, as thaw hands it to the program.

    ``params`` is the configuration (``THAW_PARAMS``: floats exactly as thaw stores them),
    ``from_epoch``/``to_epoch`` the epochs of this segment, ``metric`` the reported key.
    Pass ``save``/``load`` callables (e.g. ``torch.save``/``torch.load``, taking the
    state and a path / a path) to keep the state in a format of your own; by default the
    state is pickled.
    """

    def __init__(self, save=None, load=None):
        self.params = json.loads(_env("THAW_PARAMS"))
        self.from_epoch = _int_env("THAW_FROM_EPOCH")
        self.to_epoch = _int_env("THAW_TO_EPOCH")
        self.max_epochs = _int_env("THAW_MAX_EPOCHS")
        self.metric = _env("THAW_METRIC")
        self.checkpoint_dir = _env("THAW_CHECKPOINT_DIR")
        self.trial = os.environ.get("THAW_TRIAL")
        if (save is None) != (load is None):
            raise ThawTrialError("thaw_trial: give both save= and load=, or neither")
        self._save, self._load = save, load
        self._values = []  # every value reported, epoch 1 first
        self._loaded = False

    # -- checkpoint -------------------------------------------------------------------
    def _state_path(self):
        return os.path.join(self.checkpoint_dir, _STATE_FILE)

    def _values_path(self):
        return os.path.join(self.checkpoint_dir, _VALUES_FILE)

    def load(self, default=None):
        """The state saved by the last ``report``; ``default()`` on the first segment."""
        self._loaded = True
        if self.from_epoch == 0:
            self._values = []
            return default() if callable(default) else default
        try:
            if self._load is None:
                with open(self._state_path(), "rb") as f:
                    saved = pickle.load(f)
                self._values, state = saved["values"], saved["state"]
            else:
                with open(self._values_path()) as f:
                    self._values = json.load(f)
                state = self._load(os.path.join(self.checkpoint_dir, "state"))
        except (OSError, EOFError, KeyError, ValueError, pickle.UnpicklingError) as e:
            raise ThawTrialError(
                "thaw_trial: cannot resume epoch %d from %s: %s"
                % (self.from_epoch, self.checkpoint_dir, e)
            )
        if len(self._values) < self.from_epoch:
            raise ThawTrialError(
                "thaw_trial: the checkpoint holds %d epochs, thaw resumes at epoch %d"
                % (len(self._values), self.from_epoch)
            )
        return state

    def _store(self, state):
        if self._load is None:
            data = pickle.dumps({"values": self._values, "state": state})
            _atomic_write(self._state_path(), data)
        else:
            self._save(state, os.path.join(self.checkpoint_dir, "state"))
            _atomic_write(self._values_path(), json.dumps(self._values).encode())

    # -- epochs and reports -----------------------------------------------------------
    def _print(self, epoch, value):
        sys.stdout.write("thaw: epoch=%d %s=%s\n" % (epoch, self.metric, _format(value)))
        sys.stdout.flush()

    def epochs(self):
        """The epochs to train in this segment. Epochs a killed run already trained and
        checkpointed are reported again from the checkpoint, not yielded."""
        if not self._loaded:
            raise ThawTrialError("thaw_trial: call trial.load() before trial.epochs()")
        epoch = self.from_epoch
        while epoch < self.to_epoch:
            epoch += 1
            if epoch <= len(self._values):
                self._print(epoch, self._values[epoch - 1])
                continue
            yield epoch

    def report_initial(self, value):
        """The value before training (epoch 0); ignored after the first segment."""
        if self.from_epoch == 0 and not self._values:
            self._print(0, value)

    def report(self, epoch, value, state):
        """Saves ``state`` with the value of ``epoch``, then reports it to thaw."""
        if epoch != len(self._values) + 1:
            raise ThawTrialError(
                "thaw_trial: reported epoch %d, epoch %d was due"
                % (epoch, len(self._values) + 1)
            )
        self._values.append(float(value))
        self._store(state)
        self._print(epoch, value)
