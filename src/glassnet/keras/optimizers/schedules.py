"""``tf.keras.optimizers.schedules``: learning-rate schedules."""

from glassnet.optimizers.schedules import CosineDecay as CosineDecay
from glassnet.optimizers.schedules import ExponentialDecay as ExponentialDecay
from glassnet.optimizers.schedules import InverseTimeDecay as InverseTimeDecay
from glassnet.optimizers.schedules import LearningRateSchedule as LearningRateSchedule
from glassnet.optimizers.schedules import PiecewiseConstantDecay as PiecewiseConstantDecay
from glassnet.optimizers.schedules import PolynomialDecay as PolynomialDecay
from glassnet.optimizers.schedules import deserialize as deserialize
from glassnet.optimizers.schedules import serialize as serialize
