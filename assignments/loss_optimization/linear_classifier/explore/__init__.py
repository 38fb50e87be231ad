"""Interactive loss explorer (given, not student work): widgets that make losses and optimization visible.

Run ``%matplotlib widget`` in a notebook, then display any of the panels::

    from linear_classifier.explore import Playground
    Playground()

Panels, one module each
-----------------------
- :class:`Playground` (``playground``): a linear classifier on 2-D points of
  three classes, in the spirit of Stanford CS231n's web demo of linear
  classification; its problem (points, losses, penalties) is in ``plane``.
- :class:`LandscapeExplorer` (``landscape``): 1-D and 2-D slices of the SVM and
  softmax losses on the digits, with the path of an optimizer drawn on them.
- :class:`StepSizeLab` (``step_size``), :class:`MomentumLab` (``momentum``),
  :class:`BatchSizeLab` (``batch_size``): gradient descent on the lecture's
  f(x, y), momentum on a quadratic, minibatch noise.
- :class:`ScoresComparison` (``scores``): the SVM and softmax losses of three score vectors.

Shared by the panels: ``student`` (calling the student's code, picking up saved
edits), ``panel`` (the widget base class, controls, the status area),
``figures`` (ipympl canvases redrawn in place) and ``given`` (the package's
given helpers). A panel module holds its state class (numbers only: tests and
benchmarks drive it directly) and its widget class, and imports nothing but
these shared modules.

Every panel calls the student's functions in ``losses``, ``gradients``,
``regularization`` and ``optim``. While one of them still raises
``NotImplementedError``, the panel says which one to implement and shows
whatever it can compute without it; when one raises another error, the panel
shows it with the student's file and line in a red box. It never falls back to
hidden code.
"""

from .batch_size import BatchSizeLab, BatchSizeState
from .landscape import LandscapeExplorer, LandscapeState
from .momentum import MomentumLab, MomentumState
from .playground import Playground, PlaygroundState
from .scores import ScoresComparison, ScoresState
from .step_size import StepSizeLab, StepSizeState

__all__ = ["BatchSizeLab", "BatchSizeState", "LandscapeExplorer", "LandscapeState", "MomentumLab", "MomentumState",
           "Playground", "PlaygroundState", "ScoresComparison", "ScoresState", "StepSizeLab", "StepSizeState"]
