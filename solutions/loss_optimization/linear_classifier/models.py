"""Linear classifiers trained with minibatch stochastic gradient descent."""

import numpy as np

from .losses import softmax_loss_vectorized, svm_loss_vectorized
from .validation import check_features, check_labels


class LinearClassifier:
    """A linear classifier ``scores = X @ W`` trained by minibatch SGD.

    Attributes
    ----------
    W : ndarray of shape (D, C) or None
        The weights; None until :meth:`train` is called.
    """

    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200,
              verbose=False, seed=None, update_rule=None, optim_config=None, lr_schedule=None):
        """Train by minibatch stochastic gradient descent.

        On the first call, ``W`` is initialised to ``0.001 * randn(D, C)`` with
        ``C = max(y) + 1``; a later call continues from the current ``W``. Each
        iteration ``t`` samples ``batch_size`` examples with ``rng``, calls
        ``self.loss(X_batch, y_batch, reg)`` and takes one step with the
        gradient it returns, at the rate ``rate`` the given code computes for
        step ``t``:

        - without an ``update_rule``, the plain step ``W <- W - rate * dW``;
        - with one, ``self.W, config = update_rule(self.W, dW, config)``, after
          setting ``config["learning_rate"] = rate``. ``config`` starts as a
          copy of ``optim_config`` and is passed back at every step, so a rule
          such as ``sgd_momentum`` keeps its velocity from step to step.

        Parameters
        ----------
        X : ndarray of shape (N, D)
            Training data.
        y : ndarray of shape (N,)
            Labels in [0, C).
        learning_rate : float
            The step size, or the initial one when ``lr_schedule`` is given.
        reg : float
            Regularization strength, passed on to :meth:`loss`.
        num_iters : int
            Number of SGD steps.
        batch_size : int
            Examples per step.
        verbose : bool
            Print the loss every 100 iterations.
        seed : int or None
            Seed of the initial weights and of the minibatch sampling.
        update_rule : callable or None
            A rule of ``linear_classifier/optim.py``, ``next_w, config = rule(w, dw, config)``;
            None for the plain step.
        optim_config : dict or None
            The rule's other hyperparameters, e.g. ``{"momentum": 0.9}``; never modified.
        lr_schedule : callable or None
            ``lr_schedule(learning_rate, t)``: the rate of step ``t``, e.g.
            ``lambda rate, t: cosine_decay(rate, t, num_iters)``; None keeps the rate constant.

        Returns
        -------
        loss_history : list of float
            The loss at every iteration.
        """
        X = check_features(X, "X")
        y = check_labels(y, "y", num_examples=X.shape[0])
        num_train, dim = X.shape
        num_classes = int(np.max(y)) + 1
        rng = np.random.default_rng(seed)
        if self.W is None:
            self.W = 0.001 * rng.standard_normal((dim, num_classes))
        config = dict(optim_config or {})

        loss_history = []
        for it in range(num_iters):
            rate = learning_rate if lr_schedule is None else lr_schedule(learning_rate, it)
            ### BEGIN SOLUTION
            batch_indices = rng.choice(num_train, batch_size, replace=True)
            X_batch = X[batch_indices]
            y_batch = y[batch_indices]
            loss, grad = self.loss(X_batch, y_batch, reg)
            if update_rule is None:
                self.W -= rate * grad
            else:
                config["learning_rate"] = rate
                self.W, config = update_rule(self.W, grad, config)
            ### END SOLUTION
            loss_history.append(float(loss))
            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:.6f}")
        return loss_history

    def predict(self, X):
        """Predict a label for every row of ``X``.

        Parameters
        ----------
        X : ndarray of shape (N, D)

        Returns
        -------
        y_pred : ndarray of shape (N,), int
            The class with the highest score for each row.
        """
        if self.W is None:
            raise RuntimeError("This classifier has no weights yet: call train(X, y) before predict(X).")
        X = check_features(X, "X", num_features=self.W.shape[0])
        y_pred = np.zeros(X.shape[0], dtype=int)
        ### BEGIN SOLUTION
        y_pred = np.argmax(X.dot(self.W), axis=1)
        ### END SOLUTION
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        """Loss and gradient on a minibatch; subclasses choose the loss.

        Returns ``(loss, dW)`` with ``dW`` of ``self.W``'s shape.
        """
        raise NotImplementedError("LinearClassifier is abstract: use LinearSVM or Softmax.")


class LinearSVM(LinearClassifier):
    """A linear classifier with the multiclass SVM (hinge) loss."""

    def loss(self, X_batch, y_batch, reg):
        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)


class Softmax(LinearClassifier):
    """A linear classifier with the softmax (cross-entropy) loss."""

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
