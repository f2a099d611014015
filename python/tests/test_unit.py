"""thaw_trial without thaw: fake environments for single segments (standard library only).

Run from the repository root: PYTHONPATH=python python3 -m unittest python/tests/test_unit.py
"""

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest
from unittest import mock

import thaw_trial


class Segment:
    """Runs one segment of a toy program in a fake thaw environment."""

    def __init__(self, test, ckpt):
        self.test, self.ckpt = test, ckpt

    def env(self, start, end, params=None):
        env = {
            "THAW_PARAMS": json.dumps(params or {"lr": 0.1, "n": 3, "act": "relu"}),
            "THAW_FROM_EPOCH": str(start),
            "THAW_TO_EPOCH": str(end),
            "THAW_MAX_EPOCHS": "9",
            "THAW_METRIC": "loss",
            "THAW_CHECKPOINT_DIR": self.ckpt,
            "THAW_STUDY": "s",
            "THAW_TRIAL": "7",
        }
        return env

    def run(self, start, end, initial=None, params=None, save=None, load=None):
        """Returns (stdout lines, stderr text, epochs trained, final state)."""
        out, err = io.StringIO(), io.StringIO()
        trained = []
        with mock.patch.dict(os.environ, self.env(start, end, params), clear=True), \
                contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            trial = thaw_trial.Trial(save=save, load=load)
            state = trial.load(default=lambda: {"w": 1.0, "trained": []})
            if initial is not None:
                trial.report_initial(initial)
            for epoch in trial.epochs():
                state["w"] *= 0.5
                state["trained"].append(epoch)
                trained.append(epoch)
                trial.report(epoch, state["w"] + 0.1, state)
        return out.getvalue().splitlines(), err.getvalue(), trained, state


class Tests(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.ckpt = os.path.join(self.dir, "checkpoint")
        os.mkdir(self.ckpt)
        self.seg = Segment(self, self.ckpt)

    def tearDown(self):
        shutil.rmtree(self.dir)

    def test_resume(self):
        out, _, trained, _ = self.seg.run(0, 3)
        self.assertEqual(trained, [1, 2, 3])
        out, _, trained, state = self.seg.run(3, 5)
        self.assertEqual(trained, [4, 5])
        self.assertEqual(state["trained"], [1, 2, 3, 4, 5])
        self.assertEqual(out, ["thaw: epoch=4 loss=0.1625", "thaw: epoch=5 loss=0.13125"])

    def test_replay_ahead(self):
        """A checkpoint two epochs ahead of THAW_FROM_EPOCH: those epochs are reported
        again with their recorded values, and only the rest is trained."""
        first, _, _, _ = self.seg.run(0, 4)
        out, err, trained, state = self.seg.run(2, 6)
        self.assertEqual(trained, [5, 6])
        self.assertEqual(state["trained"], [1, 2, 3, 4, 5, 6])
        self.assertEqual(out[:2], first[2:4])  # epochs 3 and 4, the same text
        self.assertEqual([l.split()[1] for l in out], ["epoch=%d" % e for e in range(3, 7)])
        self.assertIn("epochs 3..4 were trained before thaw stopped", err)

    def test_replay_beyond_segment(self):
        self.seg.run(0, 6)
        out, _, trained, _ = self.seg.run(2, 4)
        self.assertEqual(trained, [])
        self.assertEqual([l.split()[1] for l in out], ["epoch=3", "epoch=4"])
        out, _, trained, _ = self.seg.run(4, 8)
        self.assertEqual(trained, [7, 8])

    def test_first_segment_again(self):
        """A first segment run again (thaw killed before it read a report) starts afresh:
        the checkpoint it finds may be another study's."""
        out, _, _, _ = self.seg.run(0, 2, initial=5.0, params={"lr": 0.2})
        self.assertEqual(out[0], "thaw: epoch=0 loss=5.0")
        out, err, trained, state = self.seg.run(0, 3, initial=4.0)
        self.assertEqual(out[0], "thaw: epoch=0 loss=4.0")
        self.assertEqual(trained, [1, 2, 3])
        self.assertEqual(state["trained"], [1, 2, 3])
        self.assertEqual(err, "")
        out, _, _, _ = self.seg.run(3, 4, initial=99.0)  # not the first segment: ignored
        self.assertEqual(out, ["thaw: epoch=4 loss=0.1625"])

    def test_exact_values(self):
        with mock.patch.dict(os.environ, self.seg.env(0, 5), clear=True), \
                contextlib.redirect_stdout(io.StringIO()) as out:
            trial = thaw_trial.Trial()
            self.assertEqual(trial.params, {"lr": 0.1, "n": 3, "act": "relu"})
            self.assertIsInstance(trial.params["n"], int)
            trial.load()
            epochs = trial.epochs()
            for value in (0.1 + 0.2, 1e-300, float("inf"), float("-inf"), float("nan")):
                with contextlib.redirect_stderr(io.StringIO()):
                    trial.report(next(epochs), value, None)
        self.assertEqual(
            out.getvalue().splitlines(),
            ["thaw: epoch=1 loss=0.30000000000000004", "thaw: epoch=2 loss=1e-300",
             "thaw: epoch=3 loss=inf", "thaw: epoch=4 loss=-inf", "thaw: epoch=5 loss=nan"],
        )

    def test_custom_save_load(self):
        """save=/load= callables (a folder here, as some libraries write): a kill inside
        the save leaves the previous state and values, consistently."""
        calls = []

        def save(state, path):
            calls.append(path)
            if len(calls) == 3:
                os.mkdir(path)
                raise KeyboardInterrupt  # killed half-way through the third save
            os.mkdir(path)
            with open(os.path.join(path, "s.json"), "w") as f:
                json.dump(state, f)

        def load(path):
            with open(os.path.join(path, "s.json")) as f:
                return json.load(f)

        with self.assertRaises(KeyboardInterrupt):
            self.seg.run(0, 4, save=save, load=load)
        out, _, trained, state = self.seg.run(2, 4, save=save, load=load)
        self.assertEqual(trained, [3, 4])
        self.assertEqual(state["trained"], [1, 2, 3, 4])
        self.assertEqual(out, ["thaw: epoch=3 loss=0.225", "thaw: epoch=4 loss=0.1625"])
        files = sorted(os.listdir(self.ckpt))
        self.assertEqual(files, ["state.0", "state.1", "thaw_trial.json"])

    def test_errors(self):
        def error(env, call=lambda t: t, out=""):
            with mock.patch.dict(os.environ, env, clear=True), \
                    contextlib.redirect_stdout(io.StringIO()) as printed:
                with self.assertRaises(thaw_trial.ThawTrialError) as e:
                    call(thaw_trial.Trial())
            self.assertEqual(printed.getvalue(), out)
            return str(e.exception)

        env = self.seg.env(0, 3)
        del env["THAW_CHECKPOINT_DIR"]
        self.assertEqual(
            error(env),
            "thaw_trial: THAW_CHECKPOINT_DIR is not set: run this program through `thaw tune`",
        )
        self.assertIn("THAW_PARAMS is not JSON", error(dict(self.seg.env(0, 3), THAW_PARAMS="{")))
        self.assertIn("do not make a segment", error(self.seg.env(3, 3)))
        self.assertIn("no checkpoint", error(self.seg.env(2, 3), lambda t: t.load()))
        early = error(self.seg.env(0, 3), lambda t: next(t.epochs()))
        self.assertIn("before trial.epochs()", early)

        def out_of_order(t):
            t.load()
            t.report(2, 0.5, {})

        self.assertIn("epoch 1 was due", error(self.seg.env(0, 3), out_of_order))

        def initial_late(t):
            t.load()
            t.report(1, 0.5, {})
            t.report_initial(1.0)

        self.assertIn("after epoch 1",
                      error(self.seg.env(0, 3), initial_late, out="thaw: epoch=1 loss=0.5\n"))
        text = error(self.seg.env(0, 3), lambda t: t.report_initial("x"))
        self.assertIn("must be a number", text)
        self.seg.run(0, 2)
        self.assertIn("holds 2 epochs, thaw resumes at epoch 3",
                      error(self.seg.env(3, 4), lambda t: t.load()))
        with open(os.path.join(self.ckpt, "thaw_trial.pkl"), "wb") as f:
            f.write(b"not a pickle")
        self.assertIn("cannot resume epoch 2", error(self.seg.env(2, 4), lambda t: t.load()))


if __name__ == "__main__":
    unittest.main()
