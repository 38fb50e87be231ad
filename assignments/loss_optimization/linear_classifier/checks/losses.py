"""Visible checks of ``linear_classifier/losses.py`` (given, not student work).

Expected values come from three places, none of them a loss implementation:

- the lecture's worked examples (the cat/car/frog scores, the huge scores
  ``[123, 456, 789]``), put into a linear classifier whose scores ``X @ W`` are
  exactly the lecture's table, and two rows of scores hundreds apart whose
  losses are the same small worked example;
- the values every loss has at ``W = 0`` (``C - 1`` for the SVM, ``log C`` for softmax);
- centered differences of the student's own loss along random directions (for
  ``dW``, :func:`.numerics.directional_slopes`), the right ``dW`` of each fixed
  check problem stored as data (:mod:`.expected`, for the likely cause), and
  agreement between the naive and vectorized versions.
"""

import contextlib
import io
import math

import numpy as np

from .diagnosis import diagnose_error, diagnose_gradient, diagnose_loss, diagnose_modified_inputs, diagnose_result_type
from .mistakes import hint
from .expected import EXPECTED_GRADIENTS
from .numerics import directional_slopes, slopes_agree
from .report import CheckFailed, close, passed, quiet_numerics

#: The lecture's class scores: row i holds the scores of the classes (cat, car, frog) for
#: image i (a cat, a car and a frog image), so the correct class of image i is class i.
LECTURE_SCORES = np.array([[3.2, 5.1, -1.7], [1.3, 4.9, 2.0], [2.2, 2.5, -3.1]])
LECTURE_LABELS = np.array([0, 1, 2])
#: The SVM losses of the three images, as worked out in the lecture.
LECTURE_SVM_LOSSES = np.array([2.9, 0.0, 12.9])
#: Their squared-hinge versions: 2.9**2, 0 and 6.3**2 + 6.6**2 (to recognise a squared hinge).
LECTURE_SQUARED_HINGE_LOSSES = np.array([8.41, 0.0, 83.25])
#: The softmax losses -log p_y of the three images; the lecture rounds the cat's to 2.04 (p = 0.13).
LECTURE_SOFTMAX_LOSSES = np.array([2.04035515280017, 0.07913177829134901, 6.156477201664211])
#: The lecture's numeric-stability example: scores so large that exp() overflows.
HUGE_SCORES = np.array([123.0, 456.0, 789.0])
_HUGE_SCORES_TEXT = "[123, 456, 789]"
#: The softmax loss of HUGE_SCORES for each correct class: about max(s) - s_y (e^-333 is negligible).
HUGE_SCORE_LOSSES = np.array([666.0, 333.0, 0.0])
#: Two rows of scores whose maxima lie 900 apart, each within exp()'s range: shifting both by the batch's
#: maximum sends the second row to exp() = 0. Each row is [0, -1, -3] (in some order) plus its maximum, with
#: the correct class scoring 1 below the maximum.
ROWS_APART_SCORES = np.array([[599.0, 600.0, 597.0], [-300.0, -303.0, -301.0]])
ROWS_APART_LABELS = np.array([0, 2])
#: The softmax loss of each of those rows: -log(e^-1 / (e^0 + e^-1 + e^-3)).
ROWS_APART_LOSS = 1.0 + math.log(1.0 + math.exp(-1.0) + math.exp(-3.0))

_KINDS = {
    "svm": {"name": "SVM", "lecture_losses": LECTURE_SVM_LOSSES,
            "lecture_text": "2.9, 0 and 12.9", "at_zero": lambda C: C - 1.0, "at_zero_text": "C - 1"},
    "softmax": {"name": "softmax", "lecture_losses": LECTURE_SOFTMAX_LOSSES,
                "lecture_text": "2.04, 0.079 and 6.16", "at_zero": math.log,
                # Not the formula: inline question 11 of notebook 01 asks for it after this check has run.
                "at_zero_text": "the loss of C equal scores"},
}


def lecture_problem():
    """Weights and data whose scores ``X @ W`` are the lecture's table.

    Each "image" is a one-hot vector plus a bias feature of 1, so ``W`` has
    shape (4, 3): three rows of per-image scores minus a bias, and the bias row.
    ``D != C`` makes a transposed ``dW`` show up as a wrong shape.

    Returns
    -------
    W : ndarray of shape (4, 3)
    X : ndarray of shape (3, 4)
    y : ndarray of shape (3,)
    """
    bias = np.array([0.5, -0.25, 1.0])
    X = np.hstack([np.eye(3), np.ones((3, 1))])
    W = np.vstack([LECTURE_SCORES - bias, bias])
    return W, X, LECTURE_LABELS.copy()


def random_problem(seed, num_examples, dim, num_classes, scale=1.0):
    """A reproducible random ``(W, X, y)`` with ``W`` of shape (dim, num_classes)."""
    rng = np.random.default_rng(seed)
    W = scale * rng.standard_normal((dim, num_classes))
    X = rng.standard_normal((num_examples, dim))
    y = rng.integers(num_classes, size=num_examples)
    return W, X, y


def _default(function, name):
    """``function`` if given, else the student's ``linear_classifier.losses.<name>`` looked up now."""
    if function is not None:
        return function
    from .. import losses

    return getattr(losses, name)


def _call(loss_function, name, W, X, y, reg):
    """Run a loss function and return ``(loss, dW)``.

    Fails clearly, before any value is compared, if the function changed an
    input in place or returned something of the wrong form.
    """
    before = {"W": W.copy(), "X": X.copy(), "y": y.copy()}
    try:
        result = loss_function(W, X, y, reg)
    except (ValueError, IndexError) as error:
        hints = diagnose_error(type(error).__name__, str(error), W_shape=W.shape, X_shape=X.shape)
        if not hints:
            raise
        raise CheckFailed(f"{name} raised {type(error).__name__}: {error}", hints=hints) from error
    hints = diagnose_modified_inputs(before, {"W": W, "X": X, "y": y})
    if hints:
        raise CheckFailed(f"{name} must leave W, X and y unchanged", hints=hints)
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise CheckFailed(
            f"{name} must return the pair (loss, dW)",
            expected="a tuple (loss, dW)", got=f"{type(result).__name__}",
            hints=[hint("not_a_pair", names="loss, dW")],
        )
    loss, dW = result
    hints = diagnose_result_type(loss, dW, W)
    if hints and (np.ndim(loss) != 0 or np.shape(dW) != np.shape(W)):
        raise CheckFailed(
            f"{name} must return a number and an array of W's shape {np.shape(W)}",
            expected=f"a float and dW of shape {np.shape(W)}",
            got=f"loss of shape {np.shape(loss)} and dW of shape {np.shape(dW)}", hints=hints,
        )
    return float(loss), np.asarray(dW, dtype=float)


def _expect_loss(got, expected, what, kind, data_losses, reg_term, squared_hinge=None, penalty=None, scores=None,
                 bias_reg_term=None, labels=None):
    if not close(got, expected):
        hints = diagnose_loss(got, kind=kind, data_losses=data_losses, reg_term=reg_term, penalty=penalty,
                              squared_hinge=squared_hinge, scores=scores, bias_reg_term=bias_reg_term, labels=labels)
        raise CheckFailed(what, expected=float(expected), got=got, hints=hints)


def _expect_gradient(loss_function, name, W, X, y, reg, what, expected):
    """dW must predict the slopes of the function's own loss along random directions (centered differences).

    ``expected`` is the right dW of this fixed problem (stored data): shown on failure and used to name the
    likely mistake.
    """
    _, dW = _call(loss_function, name, W, X, y, reg)
    measured, predicted = directional_slopes(lambda w: _call(loss_function, name, w, X, y, reg)[0], W, dW)
    if slopes_agree(measured, predicted):
        return
    expected = np.asarray(expected, dtype=float)
    hints = diagnose_gradient(dW, data_grad=expected - 2 * reg * W, W=W, reg=reg, num_examples=X.shape[0],
                              scores=X @ W)
    if not hints and np.all(np.isfinite(dW)) and dW.shape == W.shape:
        row, column = np.unravel_index(np.argmax(np.abs(dW - expected)), W.shape)
        hints.append(hint("largest_gradient_difference", row=row, column=column))
    raise CheckFailed(what, expected=expected, got=dW, hints=hints)


def gradient_problems():
    """The fixed problems whose dW the checks test: ``{name: (W, X, y, reg)}`` (keys of :mod:`.expected`)."""
    W, X, y = lecture_problem()
    problems = {"lecture": (W, X, y, 0.1)}
    for num_classes in (2, 5):
        W_random, X_random, y_random = random_problem(10 + num_classes, 7, 5, num_classes)
        problems[f"random_C{num_classes}"] = (W_random, X_random, y_random, 0.05)
    problems["huge_scores"] = (HUGE_SCORES[np.newaxis, :].copy(), np.ones((3, 1)), np.arange(3), 0.0)
    return problems


def _check_loss(loss_function, name, kind, naive=None, naive_name=None):
    """The checks shared by the four loss functions; ``naive`` is compared with when given."""
    facts = _KINDS[kind]
    squared = LECTURE_SQUARED_HINGE_LOSSES if kind == "svm" else None
    W, X, y = lecture_problem()
    with quiet_numerics():
        # N, D and C all differ, so that a function written for another layout fails here, recognisably.
        W_form, X_form, y_form = random_problem(0, 5, 7, 3)
        _call(loss_function, name, W_form, X_form, y_form, 0.0)
        passed(f"{name} returns (loss, dW) with dW of W's shape (D, C) = {W_form.shape}")

        _check_one_image_at_a_time(loss_function, name, kind)

        expected = facts["lecture_losses"].mean()
        loss, _ = _call(loss_function, name, W, X, y, 0.0)
        _expect_loss(loss, expected, f"{name} on the lecture's three images together, reg = 0 (the mean loss)",
                     kind, facts["lecture_losses"], 0.0, None if squared is None else squared.mean())
        passed(f"{name}: the three images together give the mean loss {expected:.2f}")

        reg = 0.1
        reg_term = reg * np.sum(W * W)
        loss, _ = _call(loss_function, name, W, X, y, reg)
        _expect_loss(loss, expected + reg_term,
                     f"{name} on the lecture's images with reg = {reg}: mean loss + reg * sum(W**2)",
                     kind, facts["lecture_losses"], reg_term, None if squared is None else squared.mean(),
                     penalty=np.sum(W * W), bias_reg_term=reg * np.sum(W[-1] ** 2))
        passed(f"{name}: reg = {reg} adds reg * sum(W**2) = {reg_term:.4g}")

        for num_classes in (2, 10):
            _, X_random, y_random = random_problem(num_classes, 6, 5, num_classes)
            W_zero = np.zeros((5, num_classes))
            loss, _ = _call(loss_function, name, W_zero, X_random, y_random, 0.0)
            value = facts["at_zero"](num_classes)
            _expect_loss(loss, value,
                         f"{name} at W = 0 with C = {num_classes} classes: every score is 0, "
                         f"so the loss is {facts['at_zero_text']}",
                         kind, np.full(len(y_random), value), 0.0)
        passed(f"{name}: at W = 0 the loss is {facts['at_zero_text']} (C = 2 and C = 10)")

        problems = gradient_problems()
        _expect_gradient(loss_function, name, *problems["lecture"],
                         f"{name}: dW on the lecture's images with reg = {reg} must predict the slopes of your "
                         "loss (centered differences along random directions)", EXPECTED_GRADIENTS[kind]["lecture"])
        for num_classes in (2, 5):
            _expect_gradient(loss_function, name, *problems[f"random_C{num_classes}"],
                             f"{name}: dW on random data (N = 7, D = 5, C = {num_classes}, reg = 0.05) must predict "
                             "the slopes of your loss (centered differences along random directions)",
                             EXPECTED_GRADIENTS[kind][f"random_C{num_classes}"])
        passed(f"{name}: dW matches centered differences of the loss (lecture example; random data, C = 2 and 5)")

        if kind == "softmax":
            _check_huge_scores(loss_function, name)
            _check_rows_apart(loss_function, name)

        passed(f"{name} leaves W, X and y unchanged (in every call above)")

        if naive is not None:
            _check_agreement(loss_function, name, naive, naive_name, kind)


def _check_one_image_at_a_time(loss_function, name, kind):
    """Each of the lecture's images alone (N = 1) has the lecture's loss."""
    facts = _KINDS[kind]
    squared = LECTURE_SQUARED_HINGE_LOSSES if kind == "svm" else None
    W, X, y = lecture_problem()
    for i in range(3):
        loss, _ = _call(loss_function, name, W, X[i:i + 1], y[i:i + 1], 0.0)
        _expect_loss(
            loss, facts["lecture_losses"][i],
            f"{name} on image {i} alone (N = 1) of the lecture's example, scores {LECTURE_SCORES[i]}, "
            f"correct class {i}, reg = 0",
            kind, facts["lecture_losses"][i:i + 1], 0.0, None if squared is None else squared[i],
            penalty=np.sum(W * W), scores=LECTURE_SCORES[i:i + 1], labels=y[i:i + 1],
        )
    passed(f"{name}: one image at a time (N = 1), the lecture's {facts['name']} losses {facts['lecture_text']}")


def _check_huge_scores(loss_function, name):
    """The lecture's huge scores: without a shift exp() overflows."""
    W_huge, X_ones = HUGE_SCORES[np.newaxis, :].copy(), np.ones((3, 1))
    loss, dW = _call(loss_function, name, W_huge, X_ones, np.arange(3), 0.0)
    what = (f"{name} with the lecture's huge scores {_HUGE_SCORES_TEXT} for correct classes 0, 1 and 2: "
            "losses about 666, 333 and 0, mean 333")
    _expect_loss(loss, HUGE_SCORE_LOSSES.mean(), what, "softmax", HUGE_SCORE_LOSSES, 0.0, scores=X_ones @ W_huge)
    if not np.all(np.isfinite(dW)):
        raise CheckFailed(what, expected="a finite dW", got=dW,
                          hints=diagnose_result_type(loss, dW, W_huge, X_ones @ W_huge))
    _expect_gradient(loss_function, name, W_huge, X_ones, np.arange(3), 0.0,
                     f"{name}: dW for the huge scores {_HUGE_SCORES_TEXT} must match centered differences",
                     EXPECTED_GRADIENTS["softmax"]["huge_scores"])
    passed(f"{name}: the huge scores {_HUGE_SCORES_TEXT} give a finite loss and gradient")


def _check_rows_apart(loss_function, name):
    """Rows whose maxima lie far apart: only a shift by each row's own maximum keeps both finite."""
    W, X = ROWS_APART_SCORES.copy(), np.eye(2)
    loss, dW = _call(loss_function, name, W, X, ROWS_APART_LABELS.copy(), 0.0)
    what = (f"{name} with two rows of scores {ROWS_APART_SCORES.tolist()}, correct classes "
            f"{ROWS_APART_LABELS.tolist()}: each row's loss is -log(e^-1 / (1 + e^-1 + e^-3)) = {ROWS_APART_LOSS:.4f}")
    _expect_loss(loss, ROWS_APART_LOSS, what, "softmax", np.full(2, ROWS_APART_LOSS), 0.0, scores=X @ W)
    if not np.all(np.isfinite(dW)):
        raise CheckFailed(what, expected="a finite dW", got=dW, hints=diagnose_result_type(loss, dW, W, X @ W))
    passed(f"{name}: rows whose maximum scores lie 900 apart give a finite loss")


def _check_agreement(vectorized, name, naive, naive_name, kind):
    """The vectorized loss and dW must equal the naive ones on a digits-sized random problem.

    Only a naive version that passes its own checks can vouch for the vectorized one: a wrong naive version
    would otherwise fail a right vectorized one (and cost its graded cell too).
    """
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            _check_loss(naive, naive_name, kind)
    except NotImplementedError:
        print(f"· {name}: comparison with {naive_name} skipped ({naive_name} is not implemented yet)")
        return
    except Exception:  # noqa: BLE001 (a CheckFailed, or whatever the student's naive version raises)
        print(f"· {name}: comparison with {naive_name} skipped ({naive_name} does not pass its own checks yet: "
              f"check_{naive_name}() says why)")
        return
    W, X, y = random_problem(231, 50, 65, 10, scale=0.01)
    naive_loss, naive_dW = _call(naive, naive_name, W, X, y, 0.5)
    loss, dW = _call(vectorized, name, W, X, y, 0.5)
    where = "on random data (N = 50, D = 65, C = 10, reg = 0.5)"
    if not close(loss, naive_loss):
        raise CheckFailed(f"{name} must give the same loss as {naive_name} {where}", expected=naive_loss, got=loss,
                          hints=[hint("naive_disagrees", naive=naive_name, name=name)])
    if not close(dW, naive_dW):
        raise CheckFailed(f"{name} must give the same dW as {naive_name} {where}", expected=naive_dW, got=dW,
                          hints=[hint("naive_disagrees", naive=naive_name, name=name)])
    passed(f"{name} gives the same loss and dW as {naive_name} {where}")


def check_svm_loss_naive(svm_loss_naive=None):
    """Check ``svm_loss_naive`` (by default the one in ``linear_classifier/losses.py``).

    Raises
    ------
    CheckFailed
        With what was expected, what came back and the likely mistake.
    """
    _check_loss(_default(svm_loss_naive, "svm_loss_naive"), "svm_loss_naive", "svm")


def check_svm_loss_vectorized(svm_loss_vectorized=None, svm_loss_naive=None):
    """Check ``svm_loss_vectorized``, and that it agrees with ``svm_loss_naive`` when that is implemented."""
    _check_loss(_default(svm_loss_vectorized, "svm_loss_vectorized"), "svm_loss_vectorized", "svm",
                naive=_default(svm_loss_naive, "svm_loss_naive"), naive_name="svm_loss_naive")


def check_softmax_loss_naive(softmax_loss_naive=None):
    """Check ``softmax_loss_naive`` (by default the one in ``linear_classifier/losses.py``)."""
    _check_loss(_default(softmax_loss_naive, "softmax_loss_naive"), "softmax_loss_naive", "softmax")


def check_softmax_loss_vectorized(softmax_loss_vectorized=None, softmax_loss_naive=None):
    """Check ``softmax_loss_vectorized``, and that it agrees with ``softmax_loss_naive`` when that is implemented."""
    _check_loss(_default(softmax_loss_vectorized, "softmax_loss_vectorized"), "softmax_loss_vectorized", "softmax",
                naive=_default(softmax_loss_naive, "softmax_loss_naive"), naive_name="softmax_loss_naive")
