"""TensorFlow-style tf.nn face."""
