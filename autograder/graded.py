"""The graded functions: one declaration each, the one place that says what is graded and how.

Everything else reads these declarations rather than a function's name: :data:`autograder.course.GROUPS`
(and with it ``points.toml``'s tables and the notebooks' test cells), the catalogue's plan (which topic
module grades a function, as what kind, on which aspects, against which reference, by which runners), the
loss a model's ``train`` is served (:mod:`autograder.execution`, the judge) and the benchmarks. Plain data,
importing nothing of the grader, so that every layer but ``calls/`` may read it (the sandbox runs ``calls/``
alone; the grader hands the runners what they need from here).

The student package cannot import this module; ``tests/autograder/test_graded.py`` checks that its own lists
(the explorer's losses) agree with it.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class GradedFunction:
    """One graded function (or class) of the student package, and how the grader grades it.

    Attributes
    ----------
    module : str
        The student module that defines it (one of :data:`autograder.course.STUDENT_MODULES`); the catalogue's
        topic module of the same name grades it.
    name : str
        Its name in that module; ``module.name`` is its group (:attr:`group`).
    kind : str
        What its topic module grades it as, in the words the diagnoses use: the loss ("svm", "softmax"), the
        penalty ("l2", "l1", "elastic_net"), the update rule ("sgd", "sgd_momentum"), the schedule ("step",
        "cosine"), "numerical_gradient", "grad_check" or "classifier". Functions of one kind share their tests.
    runners : tuple
        The runners (:data:`autograder.calls.runners.RUNNERS`) its cases are called by, in the order its topic
        module uses them.
    reference : str
        ``module.name`` of the reference function whose outputs its cases are judged against: a naive loss is
        judged against the vectorized one. Its own group when left empty.
    aspects : tuple
        The hidden aspects its tests judge apart, for a topic whose functions differ in them (the losses: a
        softmax loss is also judged on large scores, which an SVM's edge values include). Empty: the topic's.
    trains_with : str
        A classifier's reference loss (``module.name``), which the grader serves its ``train`` (and whose kind
        says the loss at W = 0 the training must improve on).
    """

    module: str
    name: str
    kind: str
    runners: tuple
    reference: str = ""
    aspects: tuple = ()
    trains_with: str = ""

    def __post_init__(self):
        if not self.reference:
            object.__setattr__(self, "reference", self.group)

    @property
    def group(self):
        """``module.name``: the prefix of its tests' names, its table in ``points.toml`` and its test cell."""
        return f"{self.module}.{self.name}"

    def service_loss(self, reference):
        """The reference loss its ``train`` is served (``reference``: the loaded reference package), or None."""
        return reference.target(*self.trains_with.split(".")) if self.trains_with else None


_LOSS = ("loss",)
_SVM_ASPECTS = ("shapes", "edge_values")
_SOFTMAX_ASPECTS = ("shapes", "edge_values", "large_scores")

#: Every graded function, in the order of the notebooks (the order of the groups, of the plan and of the pages).
FUNCTIONS = (
    GradedFunction("losses", "svm_loss_naive", "svm", _LOSS, "losses.svm_loss_vectorized", _SVM_ASPECTS),
    GradedFunction("losses", "svm_loss_vectorized", "svm", _LOSS, aspects=_SVM_ASPECTS),
    GradedFunction("losses", "softmax_loss_naive", "softmax", _LOSS, "losses.softmax_loss_vectorized",
                   _SOFTMAX_ASPECTS),
    GradedFunction("losses", "softmax_loss_vectorized", "softmax", _LOSS, aspects=_SOFTMAX_ASPECTS),
    GradedFunction("gradients", "eval_numerical_gradient", "numerical_gradient", ("numerical_gradient",)),
    GradedFunction("gradients", "grad_check_sparse", "grad_check", ("grad_check",)),
    GradedFunction("regularization", "l2_penalty", "l2", ("penalty",)),
    GradedFunction("regularization", "l1_penalty", "l1", ("penalty",)),
    GradedFunction("regularization", "elastic_net_penalty", "elastic_net", ("penalty",)),
    GradedFunction("optim", "sgd", "sgd", ("optimizer",)),
    GradedFunction("optim", "sgd_momentum", "sgd_momentum", ("optimizer",)),
    GradedFunction("optim", "step_decay", "step", ("schedule",)),
    GradedFunction("optim", "cosine_decay", "cosine", ("schedule",)),
    GradedFunction("models", "LinearSVM", "classifier", ("train", "predict"),
                   trains_with="losses.svm_loss_vectorized"),
    GradedFunction("models", "Softmax", "classifier", ("train", "predict"),
                   trains_with="losses.softmax_loss_vectorized"),
)

_BY_GROUP = {function.group: function for function in FUNCTIONS}


def declared(group):
    """The declaration of ``group`` (``module.name``); KeyError naming the groups for one that is not graded."""
    try:
        return _BY_GROUP[group]
    except KeyError:
        known = ", ".join(_BY_GROUP)
        raise KeyError(f"{group!r} is not a graded function; autograder/graded.py declares {known}") from None
