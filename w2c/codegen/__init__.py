"""Code generation: IR -> the program's source (libcst builders, the printer from sympy, the
runtime helpers, the program, its NumPy twin and the header). Torch-free.

``w2c.codegen.program.render`` is the entry point (the emit pass calls it).
"""
