"""Plots (matplotlib is optional: ``pip install "glassnet[plot]"``): training curves
(:func:`plot_history`), image grids (:func:`plot_images`), decision regions of a model on
2-D inputs (:func:`plot_decision_boundary`) and what each unit of a layer computes over
the input plane (:func:`plot_layer_units`).

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
from .plots import plot_decision_boundary as plot_decision_boundary
from .plots import plot_history as plot_history
from .plots import plot_images as plot_images
from .plots import plot_layer_units as plot_layer_units
from .plots import plot_loss_curve as plot_loss_curve
