"""Plots: training curves and image grids (matplotlib is optional: ``pip install "glassnet[plot]"``)."""

from .plots import missing_matplotlib_message as missing_matplotlib_message
from .plots import plot_images as plot_images
from .plots import plot_loss_curve as plot_loss_curve
