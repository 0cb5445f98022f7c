"""Fixtures shared by test modules."""

import pytest

from glassnet import kernels


@pytest.fixture
def native_on_where_built():
    """The compiled kernels in use where built (even under GLASSNET_NATIVE=0), as before after."""
    previous = kernels.use_native(True)
    yield
    kernels.use_native(previous)
