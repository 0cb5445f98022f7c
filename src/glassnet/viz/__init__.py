"""Plots: training curves and image grids (matplotlib is optional: ``pip install "glassnet[plot]"``).

Graphs: :func:`graph` shows the computation graph behind a tensor and
:func:`model_graph` one training step of a model, layer by layer (pictures need
Graphviz: ``apt-get install graphviz``; the text forms need nothing).
"""

from .graph import Graph as Graph
from .graph import GraphvizNotFoundError as GraphvizNotFoundError
from .graph import graph as graph
from .graph import missing_graphviz_message as missing_graphviz_message
from .model_graph import ModelGraph as ModelGraph
from .model_graph import model_graph as model_graph
from .plots import missing_matplotlib_message as missing_matplotlib_message
from .plots import plot_images as plot_images
from .plots import plot_loss_curve as plot_loss_curve
