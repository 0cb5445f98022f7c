# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-numpy bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# setup.py compiles src/kernels/*.c when a C compiler is there (glassnet.kernels)
$(STAMP): $(BIN)/python pyproject.toml setup.py $(wildcard src/kernels/*)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,plot]"
	@# bytecode, as pip writes for an installed package (an editable one gets none, and
	@# where PYTHONDONTWRITEBYTECODE is set every import would compile glassnet anew)
	$(BIN)/python -m compileall -q src/glassnet
	@$(BIN)/python -c "from glassnet import kernels; print('glassnet: compiled kernels', 'built' if kernels.available() else 'not built (no C compiler?): NumPy only')"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/glassnet demo

test: $(STAMP)
	$(BIN)/python -m pytest

# the same suite with the compiled kernels off: what a machine without a C compiler runs
test-numpy: $(STAMP)
	GLASSNET_NATIVE=0 $(BIN)/python -m pytest

# Extra arguments for benchmarks/suite.py; peers installed in another environment are
# found through its interpreter: make bench BENCH_ARGS="--python /path/to/peers/bin/python"
BENCH_ARGS ?=

bench: $(STAMP)
	$(BIN)/python benchmarks/engine_overhead.py
	$(BIN)/python benchmarks/backprop_vs_finite_differences.py
	$(BIN)/python benchmarks/suite.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache src/glassnet/*.so
