"""Floor 5: models (a stack of layers that can be compiled, fitted and asked to predict)."""

from .model import Model as Model
from .sequential import Sequential as Sequential
