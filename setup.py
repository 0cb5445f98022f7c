"""Builds glassnet's optional compiled kernels (src/kernels/*.c); everything else is
in pyproject.toml. Without a C compiler the build goes on and glassnet runs its NumPy code
(see glassnet.kernels)."""

from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

# No fused multiply-add and no fast-math: the kernels must round exactly as NumPy does.
# -fno-math-errno lets sqrt vectorize (it changes no result, only whether errno is set).
UNIX_FLAGS = ["-O3", "-ffp-contract=off", "-fno-math-errno", "-fno-trapping-math"]


class BuildKernels(build_ext):
    def build_extensions(self):
        if self.compiler.compiler_type == "unix":
            for extension in self.extensions:
                extension.extra_compile_args = UNIX_FLAGS
        super().build_extensions()


setup(
    ext_modules=[Extension("glassnet._native", sorted(glob("src/kernels/*.c")), depends=glob("src/kernels/*.h"),
                           optional=True)],
    cmdclass={"build_ext": BuildKernels},
)
