"""Linear classifiers, their losses and their optimizers: the loss_optimization assignment.

Student work lives in ``losses``, ``gradients``, ``regularization``, ``optim``
and ``models``; ``data``, ``validation``, ``checks`` and ``plotting`` are given.
"""
