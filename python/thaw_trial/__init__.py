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

Only reports go to stdout; the helper's notes go to stderr (the trial's ``log.txt``).
"""

import json
import math
import os
import pickle
import shutil
import sys

__all__ = ["Trial", "ThawTrialError"]
__version__ = "0.1.0"

# The default checkpoint: one pickle holding the state and the record below.
_STATE_FILE = "thaw_trial.pkl"
# With save=/load=: the record (values reported, which state file is current) as JSON,
# and the state in two slots, so that the record's rename is the one commit point.
_RECORD_FILE = "thaw_trial.json"
_SLOTS = ("state.0", "state.1")
_FORMAT = 1


class ThawTrialError(RuntimeError):
    """The program was not started by thaw, or its checkpoint or a call cannot be used."""


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
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise ThawTrialError("thaw_trial: %s=%r is not a whole number >= 0" % (name, text))
    return value


def _note(message):
    sys.stderr.write("thaw_trial: %s\n" % message)
    sys.stderr.flush()


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder
    finally:
        os.close(fd)


def _fsync_file(path):
    if os.path.isfile(path):
        with open(path, "rb") as f:
            os.fsync(f.fileno())


def _atomic_write(path, data):
    """Writes ``data`` to ``path`` so that a crash leaves the old file or the new one."""
    tmp = "%s.tmp%d" % (path, os.getpid())
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(os.path.dirname(path) or ".")


def _remove(path):
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def _number(value, what):
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ThawTrialError("thaw_trial: %s must be a number, not %r" % (what, value))


def _format(value):
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)


class Trial:
    """One segment of a configuration's training, as thaw hands it to the program.

    ``params`` is the configuration (``THAW_PARAMS``: floats exactly as thaw stores
    them, ints as ints, categorical choices as written); ``from_epoch``/``to_epoch`` the
    epochs of this segment (``from_epoch + 1 ..= to_epoch``), ``max_epochs`` those of a
    whole training, ``metric`` the reported key, ``checkpoint_dir`` the configuration's
    folder. By default the state is pickled; pass ``save(state, path)`` and
    ``load(path)`` (e.g. ``torch.save``/``torch.load``) to keep it in a format of your
    own (a file or a folder at ``path``).
    """

    def __init__(self, save=None, load=None):
        text = _env("THAW_PARAMS")
        try:
            self.params = json.loads(text)
        except ValueError as e:
            raise ThawTrialError("thaw_trial: THAW_PARAMS is not JSON (%s): %r" % (e, text))
        if not isinstance(self.params, dict):
            raise ThawTrialError("thaw_trial: THAW_PARAMS is not a JSON object: %r" % text)
        self.from_epoch = _int_env("THAW_FROM_EPOCH")
        self.to_epoch = _int_env("THAW_TO_EPOCH")
        self.max_epochs = _int_env("THAW_MAX_EPOCHS")
        if not self.from_epoch < self.to_epoch <= self.max_epochs:
            raise ThawTrialError(
                "thaw_trial: epochs %d..%d of %d do not make a segment (THAW_FROM_EPOCH, "
                "THAW_TO_EPOCH, THAW_MAX_EPOCHS)"
                % (self.from_epoch, self.to_epoch, self.max_epochs)
            )
        self.metric = _env("THAW_METRIC")
        self.checkpoint_dir = _env("THAW_CHECKPOINT_DIR")
        self.study = os.environ.get("THAW_STUDY")
        self.trial = os.environ.get("THAW_TRIAL")
        if (save is None) != (load is None):
            raise ThawTrialError("thaw_trial: give both save= and load=, or neither")
        self._save, self._load = save, load
        self._values = []  # every value reported, epoch 1 first
        self._slot = None  # with save=/load=: the state file the record names
        self._loaded = False
        self._iterated = False
        self._printed = -1  # the last epoch printed in this run

    # -- checkpoint -------------------------------------------------------------------
    def _path(self, name):
        return os.path.join(self.checkpoint_dir, name)

    def _read(self):
        """The saved record and state, or None when there is no checkpoint."""
        if self._load is None:
            path = self._path(_STATE_FILE)
            if not os.path.exists(path):
                return None
            with open(path, "rb") as f:
                saved = pickle.load(f)
            return saved, lambda: saved["state"]
        path = self._path(_RECORD_FILE)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            saved = json.load(f)
        slot = saved["state_file"]
        if slot not in _SLOTS:
            raise ValueError("unknown state file %r" % slot)
        return saved, lambda: self._load(self._path(slot))

    def load(self, default=None):
        """The state saved by the last ``report``, or ``default()`` (or ``default``) on the
        first segment. Call it before ``epochs()``.

        A first segment always starts afresh: a checkpoint found then may be another
        study's (a deleted one, or another store's in the same folder), so it is not
        trusted, and the epochs a killed first segment had saved are trained again."""
        self._loaded = True
        self._values, self._slot = [], None
        if self.from_epoch == 0:
            return default() if callable(default) else default
        try:
            found = self._read()
            if found is None:
                raise ThawTrialError(
                    "thaw_trial: no checkpoint in %s to resume epoch %d from"
                    % (self.checkpoint_dir, self.from_epoch)
                )
            saved, state = found
            if saved.get("format") != _FORMAT:
                raise ValueError("not a thaw_trial checkpoint")
            values = [float(v) for v in saved["values"]]
            if len(values) < self.from_epoch:
                raise ThawTrialError(
                    "thaw_trial: the checkpoint in %s holds %d epochs, thaw resumes at "
                    "epoch %d" % (self.checkpoint_dir, len(values), self.from_epoch)
                )
            state = state()
        except ThawTrialError:
            raise
        except Exception as e:  # noqa: BLE001 - any unreadable checkpoint is reported
            raise ThawTrialError(
                "thaw_trial: cannot resume epoch %d from %s: %s: %s"
                % (self.from_epoch, self.checkpoint_dir, type(e).__name__, e)
            )
        self._values, self._slot = values, saved.get("state_file")
        return state

    def _store(self, state):
        record = {"format": _FORMAT, "values": self._values}
        os.makedirs(self.checkpoint_dir, exist_ok=True)
        if self._load is None:
            record["state"] = state
            _atomic_write(self._path(_STATE_FILE), pickle.dumps(record, protocol=4))
            return
        # The slot the record does not name is free: write the state there, then commit
        # by replacing the record. A kill before that leaves the old pair intact.
        slot = _SLOTS[1] if self._slot == _SLOTS[0] else _SLOTS[0]
        path = self._path(slot)
        _remove(path)
        self._save(state, path)
        _fsync_file(path)
        record["state_file"] = slot
        _atomic_write(self._path(_RECORD_FILE), json.dumps(record).encode())
        self._slot = slot

    # -- epochs and reports -----------------------------------------------------------
    def _print(self, epoch, value):
        sys.stdout.write("thaw: epoch=%d %s=%s\n" % (epoch, self.metric, _format(value)))
        sys.stdout.flush()
        self._printed = epoch

    def epochs(self):
        """The epochs to train in this segment. Epochs a killed run already trained and
        checkpointed are reported again from the checkpoint, not yielded."""
        if not self._loaded:
            raise ThawTrialError("thaw_trial: call trial.load() before trial.epochs()")
        if self._iterated:
            raise ThawTrialError("thaw_trial: trial.epochs() can be iterated once a segment")
        self._iterated = True
        held = min(len(self._values), self.to_epoch)
        if held > self.from_epoch:
            _note("epochs %d..%d were trained before thaw stopped: reporting them again "
                  "from the checkpoint" % (self.from_epoch + 1, held))
        for epoch in range(self.from_epoch + 1, self.to_epoch + 1):
            if epoch <= len(self._values):
                self._print(epoch, self._values[epoch - 1])
            else:
                yield epoch

    def report_initial(self, value):
        """Reports the value before training (epoch 0); ignored after the first segment."""
        value = _number(value, "the initial %s" % self.metric)
        if self.from_epoch > 0:
            return
        if self._printed >= 0:
            raise ThawTrialError("thaw_trial: report_initial() after epoch %d was reported"
                                 % self._printed)
        self._print(0, value)

    def report(self, epoch, value, state):
        """Saves ``state`` with the value of ``epoch``, then reports it to thaw."""
        due = len(self._values) + 1
        if not self._loaded:
            raise ThawTrialError("thaw_trial: call trial.load() before trial.report()")
        if epoch != due or epoch > self.to_epoch:
            raise ThawTrialError(
                "thaw_trial: reported epoch %r, but epoch %d was due (this segment ends "
                "at epoch %d)" % (epoch, due, self.to_epoch)
            )
        value = _number(value, "the %s of epoch %d" % (self.metric, epoch))
        self._values.append(value)
        self._store(state)
        if not math.isfinite(value):
            _note("%s = %s at epoch %d: thaw records a failed epoch"
                  % (self.metric, _format(value), epoch))
        self._print(epoch, value)
