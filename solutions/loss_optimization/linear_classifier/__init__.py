"""Linear classifiers, their losses and their optimizers: the loss_optimization assignment.

Student work lives in ``losses``, ``gradients``, ``regularization``, ``optim``
and ``models``; ``data``, ``validation``, ``checks``, ``plotting``,
``tracebacks`` and ``explore`` are given.
"""

# In a Jupyter kernel, importing the package shows errors from checks and stubs the student's way.
from . import tracebacks  # noqa: F401
