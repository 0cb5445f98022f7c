"""Floor 6: models in and out as data (JSON config and raw arrays), never pickle.

Files follow Keras 3's format, so glassnet and Keras 3 read each other's files:

- ``m.keras``: a zip of ``config.json`` (the architecture and compile settings,
  Keras's ``serialize_keras_object`` format), ``metadata.json`` (``keras_version``,
  ``date_saved``) and ``model.weights.h5`` (HDF5: ``layers/<path>/vars/<i>``,
  ``optimizer/vars/<i>``);
- ``w.weights.h5``: that HDF5 file alone.

Loading never runs code: class names resolve through an allow-list
(:mod:`glassnet.saving.allowlist`), weights are read as plain numeric arrays, and a
truncated, corrupt or hostile file raises :class:`InvalidModelFileError` naming the
problem. Writes are atomic (temporary file, fsync, rename).

Example:
    >>> import os, tempfile
    >>> import numpy as np
    >>> import glassnet as tf
    >>> from glassnet.saving import load_model
    >>> model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), tf.keras.layers.Dense(1)])
    >>> model.compile(optimizer="adam", loss="mse")
    >>> path = os.path.join(tempfile.mkdtemp(), "tiny.keras")
    >>> model.save(path)
    >>> again = load_model(path)
    >>> bool(np.array_equal(again.predict(np.ones((1, 2))), model.predict(np.ones((1, 2)))))
    True
"""

from .api import load_model as load_model
from .api import load_weights as load_weights
from .api import model_from_json as model_from_json
from .api import model_to_json as model_to_json
from .api import save_model as save_model
from .api import save_weights as save_weights
from .errors import InvalidModelFileError as InvalidModelFileError
