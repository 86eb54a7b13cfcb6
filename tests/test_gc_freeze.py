"""While a capture is open the garbage collector skips older objects; afterwards all is as before.

Real captures of a real Keras model: the collector's frozen generation and thresholds are
checked inside and after the block, a reference cycle that becomes garbage inside the block
is collected once the block ends (nothing leaks), and a process that froze objects itself
keeps them frozen.
"""
import gc
import weakref

import keras
import numpy as np
import pytest

import eager_lab
from eager_lab.capturing import gc_freeze


class _Cycle:
    def __init__(self):
        self.me = self


def _model():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.layers.Input((4,)), keras.layers.Dense(3)])
    m.compile(optimizer="sgd", loss="mse")
    return m


@pytest.fixture
def xy():
    return np.ones((2, 4), np.float32), np.zeros((2, 3), np.float32)


def test_frozen_while_capturing_and_thawed_after(xy):
    m = _model()
    before = gc.get_threshold()
    assert gc.get_freeze_count() == 0
    cycle = _Cycle()
    ref = weakref.ref(cycle)
    with eager_lab.capture(m) as rec:
        assert gc.get_freeze_count() > 0
        m.train_on_batch(*xy)
        del cycle
        gc.collect()
        assert ref() is not None      # frozen: a collection inside the block skips it
        frozen_after_step = gc.get_freeze_count()
    assert frozen_after_step > 0
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == before
    gc.collect()
    assert ref() is None              # handed back: collected as usual
    assert len(rec.steps) == 1


def test_an_error_in_the_block_thaws_too(xy):
    m = _model()
    before = gc.get_threshold()
    with pytest.raises(ZeroDivisionError):
        with eager_lab.capture(m):
            m.train_on_batch(*xy)
            1 / 0
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_objects_the_process_froze_itself_stay_frozen(xy):
    m = _model()
    cycle = _Cycle()
    ref = weakref.ref(cycle)
    gc.freeze()
    try:
        del cycle
        with eager_lab.capture(m):
            m.train_on_batch(*xy)
            assert gc.get_threshold()[2] < 1000      # the thresholds left alone
        gc.collect()
        assert ref() is not None                     # still frozen: not thawed by eager_lab
    finally:
        gc.unfreeze()
    gc.collect()
    assert ref() is None


def test_a_disabled_collector_is_left_alone(xy):
    m = _model()
    gc.disable()
    try:
        with eager_lab.capture(m):
            m.train_on_batch(*xy)
            assert gc.get_freeze_count() == 0
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_paused_collector_comes_back_after_the_last_pause_and_captures_still_freeze(xy):
    """The panel's page builder pauses collection (gc_freeze.collection_paused) in a comm
    thread while a capture may open in the main thread."""
    m = _model()
    with gc_freeze.collection_paused():
        assert not gc.isenabled()
        with gc_freeze.collection_paused():       # nested (or another thread's)
            with eager_lab.capture(m):
                m.train_on_batch(*xy)
                assert gc.get_freeze_count() > 0  # on for the user: a capture freezes
        assert not gc.isenabled()                 # the outer pause still runs
    assert gc.isenabled() and gc.get_freeze_count() == 0
    gc.disable()
    try:
        with gc_freeze.collection_paused():
            pass
        assert not gc.isenabled()                 # off before: stays off
    finally:
        gc.enable()
