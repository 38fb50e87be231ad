"""The one list of the mistakes the checks recognise: a stable id and the sentence a student reads.

The notebooks' checks and the autograder name a mistake only through
:func:`hint`, so a student reads the same sentence in the notebook and in the
grader's feedback. :mod:`.diagnosis` decides which mistakes a wrong result
shows. The ids are stable: ``autograder/points.toml`` names them in its
``[partial_credit]`` table. A sentence may hold ``{fields}`` that the caller
fills in (shapes, counts).
"""

MISTAKES = {
    # -- the form of a result (any function) --------------------------------------------------------------
    "returned_zeros": "{what} is exactly 0 everywhere, the value the function starts from: compute it before "
                      "returning it",
    "not_a_pair": "end the function with: return {names}",
    "input_modified": "the function modified its input {name} in place: work on a copy, e.g. scores = scores - m "
                      "instead of scores -= m on a view of {name}",
    "input_written": "the function writes into its input {names} in place (the grader passes inputs read-only, so "
                     "numpy refused the write): work on a copy, e.g. scores = scores - m instead of scores -= m on "
                     "a view of an input",

    # -- losses: the form of (loss, dW) and numerical stability --------------------------------------------
    "loss_not_scalar": "the loss must be a single number, but it has shape {shape}: average the per-example "
                       "losses over the batch",
    "exp_overflow": "a score overflowed in exp(): subtract each row's maximum score before exponentiating (the "
                    "probabilities do not change, and the largest exponent becomes exp(0) = 1)",
    "global_max_shift": "the scores were shifted by one maximum for the whole batch: a row whose scores all lie "
                        "far below it gives exp() = 0 and log(0) = -inf; subtract each row's own maximum, "
                        "scores.max(axis=1, keepdims=True)",
    "dW_transposed": "dW has shape {got}, the transpose of W's {W}: dW = X.T @ (...)",
    "dW_shape": "dW must have W's shape {W}, but it has shape {got}",
    "cs231n_2015_layout": "W is used as if it had shape (C, D) and X shape (D, N), the layout of CS231n's 2015 "
                          "assignment; here W has shape (D, C) = {W} and X shape (N, D) = {X}, so the scores are "
                          "X.dot(W), one row per example",
    "hard_coded_classes": "an index ran past the last class: here C = {C} = W.shape[1]; loop over "
                          "range(W.shape[1]), not over a fixed number of classes such as 10",

    # -- losses: the value ------------------------------------------------------------------------------------
    "svm_correct_class_counted": "the loss is exactly 1 too high per example: the sum over classes must skip the "
                                 "correct class (j != y[i]), whose margin max(0, s_y - s_y + 1) is always 1",
    "loss_sum_not_mean": "the loss is N times too large: divide the summed data loss by the number of examples "
                         "(mean, not sum)",
    "loss_all_times_n": "the whole loss, regularization included, is N times too large: divide only the data "
                        "loss by N",
    "reg_divided_by_n": "the regularization term was divided by N: add reg * sum(W**2) after averaging the data "
                        "loss",
    "reg_missing": "the regularization term reg * sum(W**2) is missing",
    "half_reg": "this is the 0.5 * reg * sum(W**2) convention of older CS231n versions (whose gradient is "
                "reg * W): this assignment uses reg * sum(W**2) in the loss and 2 * reg * W in dW",
    "reg_doubled": "the regularization term is doubled: use reg * sum(W**2) in the loss (the 2 belongs in the "
                   "gradient)",
    "reg_strength_missing": "sum(W**2) was added without its strength reg: the regularization term is "
                            "reg * np.sum(W * W)",
    "reg_halved": "the regularization term is half of what the loss defines, while dW's is not: recheck the order "
                  "in which the factors of the penalty are applied (an operator's precedence, a division "
                  "that reaches further than meant)",
    "counted_twice": "the loss is twice what it should be, as if every example were counted twice: look for a "
                     "block of the computation that runs twice (a loop or a line repeated)",
    "loss_divided_twice": "the loss is N times too small: the data loss was averaged over the examples twice; "
                          "divide the summed losses by N once",
    "bias_not_regularized": "the penalty leaves out the last row of W, the bias row of the bias trick: this "
                            "assignment regularizes the whole W, bias row included (the sum of the squares of "
                            "every entry)",
    "probability_clipped": "the loss of an example whose correct-class probability is tiny is capped at about "
                           "{cap}: a small constant added to p_y (or a floor on it) before the log changes the loss "
                           "exactly where the model is most wrong; take the log of the softmax from the shifted "
                           "scores themselves (log-sum-exp), which needs no constant",
    "softmax_exp_of_correct_score": "each example's loss subtracts exp() of the correct class's score where "
                                    "-log p_y subtracts the score itself: write out -log(exp(s_y) / sum_j "
                                    "exp(s_j)) and simplify the log of an exponential",
    "labels_of_first_example": "every example was scored with the first example's label: inside the loop over "
                               "examples, each example's correct class is its own label",
    "squared_hinge": "this is the squared hinge loss: use max(0, margin), not its square",
    "softmax_sign_flipped": "the sign is flipped: the softmax loss is -log(p_y), which is never negative",
    "softmax_probs_colon": "probs[:, y] picks every example's probability of every label in y, an N x N block, "
                           "and averages all of it: take one entry per row, the correct class's, with "
                           "probs[np.arange(N), y]",

    # -- losses: the gradient ------------------------------------------------------------------------------------
    "reg_grad_not_doubled": "dW is off by reg * W: the derivative of reg * sum(W**2) is 2 * reg * W",
    "reg_grad_missing": "the regularization gradient 2 * reg * W is missing from dW",
    "reg_grad_before_mean": "the regularization gradient was divided by N along with the data gradient: add "
                            "2 * reg * W after dividing by N",
    "reg_grad_strength_missing": "2 * W was added without its strength reg: the regularization gradient is "
                                 "2 * reg * W",
    "grad_sum_not_mean": "dW is N times too large: divide the summed data gradient by the number of examples",
    "grad_all_times_n": "dW, regularization included, is N times too large: divide only the data gradient by N",
    "grad_wrong_sign": "dW has the wrong sign: it must point uphill (the optimizer subtracts it)",
    "reg_grad_wrong_sign": "the regularization gradient has the wrong sign: add + 2 * reg * W",
    "grad_counted_twice": "dW is twice what it should be, as if every example were counted twice: look for a "
                          "block of the gradient's computation that runs twice",
    "grad_divided_twice": "dW is N times too small: the data gradient was averaged over the examples twice; "
                          "divide the summed gradient by N once",
    "grad_last_example_only": "dW holds only the last example's contribution: the lines that add an example's "
                              "gradient must run once for every example, inside the loop over examples",
    "softmax_missing_minus_one": "the correct class's -1 is missing: the gradient of -log p_y with respect to the "
                                 "scores is p - 1 at the correct class y[i] (dscores[range(N), y] -= 1), p elsewhere",
    "softmax_minus_one_twice": "the correct class's 1 is subtracted twice: the score gradient is p - 1 at y[i], "
                               "p elsewhere",
    "svm_correct_column_unchanged": "the correct class's column never changes: for each violated margin "
                                    "(j != y[i]) add X[i] to column j and also subtract it from column y[i] "
                                    "(dW[:, y[i]] -= X[i])",
    "svm_correct_column_wrong_sign": "the correct class's column has the wrong sign: each violated margin "
                                     "subtracts X[i] from column y[i], it does not add it",
    "svm_counts_whole_batch": "column y[i] gets -X[i] times the number of violated margins in the whole batch: "
                              "count them for each example separately, per row (np.sum(binary, axis=1))",
    "svm_mask_counts_correct_class": "the correct class's own margin (always 1 until it is zeroed) is counted as a "
                                     "violation, so column y[i] loses X[i] once too often: set "
                                     "margins[np.arange(N), y] = 0 before building the mask",
    "svm_correct_column_constant": "the correct class's column changes by the same number in every feature: "
                                   "the derivative of the score s_y with respect to the weights of class y[i] is "
                                   "the example's feature vector, not 1",
    "svm_mask_before_max": "dW moves the weights of margins that are not violated: which margins count must be "
                           "decided after max(0, .), so that only positive margins reach dW",
    "largest_gradient_difference": "the largest difference is at dW[{row}, {column}], the weight of feature {row} "
                                   "for class {column}: recheck how example i contributes to column {column}",
    "naive_disagrees": "if check_{naive}() passes, the difference is in {name}",

    # -- numerical gradients and gradient checks ------------------------------------------------------------------
    "x_not_restored": "x was not restored: put each entry back to its old value after evaluating f(x + h) and "
                      "f(x - h)",
    "numerical_gradient_shape": "the gradient must have x's shape {expected}, got {got}",
    "forward_difference": "this is the forward difference (f(x+h) - f(x)) / h: use the centered one, "
                          "(f(x+h) - f(x-h)) / (2h)",
    "numerical_gradient_doubled": "the gradient is twice too large: divide f(x+h) - f(x-h) by 2h, not h",
    "numerical_gradient_halved": "the gradient is half what it should be: divide f(x+h) - f(x-h) by 2h, not 4h",
    "h_ignored": "the argument h was ignored: step by the h the caller passes, not a fixed 1e-5",
    "errors_not_an_array": "return the array of all {num_checks} relative errors, not a single number such as "
                           "their maximum",
    "errors_shape": "return one relative error per check, shape ({num_checks},); got shape {shape}",
    "errors_nan": "an error is NaN: where the numerical and analytic values are both 0 the relative error is 0; "
                  "guard the division",
    "errors_negative": "a relative error is negative: take the absolute value of the difference, |num - ana|",
    "errors_forward_difference": "the numerical values are forward differences (f(x+h) - f(x)) / h: use centered "
                                 "ones, (f(x+h) - f(x-h)) / (2h)",
    "errors_signed_denominator": "the denominator must be |num| + |ana|, with absolute values taken separately",
    "errors_not_divided": "these are absolute differences |num - ana|: divide by |num| + |ana| to make them "
                          "relative",
    "errors_same_entries": "the errors all come from the same few entries of x: draw a new random entry for each "
                           "check (rng.integers for every axis, inside the loop)",
    "seed_ignored": "create the random generator from seed, rng = np.random.default_rng(seed), inside the "
                    "function, and draw every index from it",

    # -- regularization penalties ------------------------------------------------------------------------------
    "penalty_not_scalar": "R(W) must be one number summed over every entry of W (np.sum with no axis); got shape "
                          "{shape}",
    "penalty_gradient_shape": "the gradient must have W's shape {W}, one entry per weight, but it has shape {got}",
    "penalty_any_shape": "W may be a 1-D vector: sum over all entries, whatever the shape",
    "l2_norm": "this is the norm ||W||; the L2 penalty is its square, sum(W**2), with no square root",
    "l2_half": "there is an extra factor 1/2: this assignment uses R(W) = sum(W**2)",
    "l2_not_squared": "the entries are summed without squaring them: R(W) = sum(W**2)",
    "l2_is_l1": "this is the L1 penalty sum(|W|): square the entries instead",
    "l1_no_abs": "negative entries cancel positive ones: take absolute values, R(W) = sum(|W|)",
    "l1_is_l2": "this is the L2 penalty sum(W**2): the L1 penalty sums absolute values",
    "elastic_beta_on_l1": "beta multiplies the L1 part: the lecture's R(W) = sum(beta * W**2 + |W|) puts beta on "
                          "the squares",
    "elastic_l1_missing": "the L1 part sum(|W|) is missing",
    "elastic_l2_missing": "the L2 part beta * sum(W**2) is missing",
    "elastic_l1_no_abs": "the L1 part needs absolute values: |W|, not W",
    "elastic_beta_ignored": "beta is ignored: R(W) = sum(beta * W**2 + |W|)",
    "elastic_default_beta": "the beta argument is ignored: use the beta passed in, not the default 0.5",
    "l2_gradient_is_W": "the gradient is W, but the derivative of w**2 is 2w: return 2 * W",
    "l2_gradient_sign": "the gradient has the wrong sign: R grows with |w|, so dR/dw = +2w",
    "l2_gradient_is_l1": "this is the L1 subgradient sign(W): the L2 gradient is 2 * W",
    "l1_gradient_is_W": "the gradient is W, but the slope of |w| is sign(w): +1 or -1",
    "l1_gradient_ones": "the subgradient of |w| is sign(w), which is -1 for negative weights, not always 1",
    "l1_gradient_sign": "the subgradient has the wrong sign: d|w|/dw = +1 for w > 0",
    "l1_gradient_is_l2": "this is the L2 gradient 2 * W: the L1 subgradient is sign(W)",
    "l1_gradient_abs": "the gradient is |W|: use sign(W), which is -1 where W < 0",
    "elastic_gradient_no_two": "the derivative of beta * w**2 is 2 * beta * w, not beta * w",
    "elastic_gradient_l1_missing": "the L1 part's subgradient sign(W) is missing",
    "elastic_gradient_l2_missing": "the L2 part's gradient 2 * beta * W is missing",
    "elastic_gradient_beta_on_l1": "beta weighs the wrong term: the gradient is 2 * beta * W + sign(W)",
    "elastic_gradient_beta_ignored": "beta is missing from the gradient: 2 * beta * W + sign(W)",
    "elastic_gradient_default_beta": "the beta argument is ignored in the gradient: use the beta passed in",
    "gradient_nan_at_zero": "the gradient contains NaN or inf: W / |W| divides by zero where W == 0; use "
                            "np.sign(W), which gives 0 there (any value in [-1, 1] is a valid subgradient)",
    "subgradient_outside": "where W == 0 the gradient is {values}: |w| has no slope there, so return a "
                           "subgradient in [-1, 1] (np.sign(0) is 0; W / np.abs(W) gives NaN)",
    "gradient_transposed": "the gradient is transposed: entry [i, j] must be the derivative with respect to "
                           "W[i, j]",
    "value_gradient_disagree": "the value and the gradient disagree: differentiate the value you return, entry by "
                               "entry",

    # -- update rules ---------------------------------------------------------------------------------------------
    "step_uphill": "the step goes uphill: subtract learning_rate * dw from w, do not add it",
    "learning_rate_missing": "the learning rate is missing: the step is learning_rate * dw",
    "w_unchanged": "w is returned unchanged: compute next_w = w - learning_rate * dw and return it",
    "only_the_step": "only the step was returned: next_w is w plus the step",
    "learning_rate_not_from_config": "the learning rate was not read from config: use config['learning_rate']",
    "velocity_not_stored": "the weights follow plain SGD: the velocity is not stored in config (or not read back), "
                           "so it restarts at zero every call; save it as config['velocity']",
    "momentum_fixed": "the momentum is fixed at 0.9: read it from config['momentum']",
    "old_velocity_sign": "the old velocity enters with the wrong sign: velocity = momentum * velocity - "
                         "learning_rate * dw",
    "velocity_sign": "the velocity has the wrong sign, so the steps go uphill: v = momentum * v - learning_rate * dw, "
                     "then w = w + v",
    "old_velocity_added": "w moved by the old velocity, so it did not move at the first step: update the velocity "
                          "first, then add the new velocity to w",
    "weights_blew_up": "the weights blew up: check that w moves against the gradient (w + velocity with "
                       "velocity = momentum * velocity - learning_rate * dw)",
    "next_w_shape": "next_w must have w's shape {shape}",
    "config_incomplete": "config lacks {missing}: store the new velocity in config['velocity'] so the next call "
                         "continues from it",

    # -- learning-rate schedules ------------------------------------------------------------------------------------
    "rate_not_scalar": "return a single number, not an array of shape {shape}",
    "step_decay_smooth": "the decay uses t / decay_every without a floor, so the rate shrinks smoothly: use "
                         "integer division, t // decay_every",
    "step_decay_early": "the rate is decayed one period too early (already at t = 0): the exponent is "
                        "t // decay_every",
    "step_decay_multiplied": "decay_rate is multiplied by the number of periods: raise it to that power, "
                             "decay_rate ** (t // decay_every)",
    "step_decay_every_step": "the rate decays at every step: count periods, t // decay_every",
    "step_decay_arguments_ignored": "the decay_rate and decay_every arguments are ignored: use the ones passed in",
    "cosine_no_half": "the factor 1/2 is missing: at t = 0 the rate must be learning_rate, not twice it",
    "cosine_no_pi": "the cosine's argument lacks pi: use cos(pi * t / T) so the rate reaches 0 at t = T",
    "cosine_backwards": "the schedule runs backwards: use 1 + cos(...), which starts at learning_rate and ends at 0",
    "cosine_no_learning_rate": "the result is not multiplied by learning_rate",
    "cosine_degrees": "the cosine's argument is in degrees: math.cos and np.cos take radians, pi * t / T",
    "cosine_plain": "use 0.5 * (1 + cos(pi * t / T)), which falls from 1 to 0, not cos(pi * t / T)",

    # -- training and prediction ---------------------------------------------------------------------------------
    "train_W_shape": "W must have shape (D, C) = {shape}: D = X.shape[1], C = max(y) + 1",
    "train_uphill": "the weights step uphill: move against the gradient, W -= learning_rate * dW",
    "train_learning_rate_missing": "the learning rate is missing from the step: W -= learning_rate * dW",
    "train_W_unchanged": "W did not change: update self.W with the gradient that self.loss returned",
    "train_barely_learns": "the loss barely went down: every iteration must take one step "
                           "W -= learning_rate * dW with the minibatch gradient",
    "loss_history": "return a list with the loss of every iteration, one value per step of num_iters",
    "loss_never_called": "each iteration must compute the minibatch loss with self.loss(X_batch, y_batch, reg)",
    "loss_calls_per_iteration": "call self.loss(X_batch, y_batch, reg) exactly once per iteration",
    "batch_size_ignored": "self.loss saw batches of {sizes} examples, not batch_size = {wanted}: sample "
                          "batch_size rows per iteration",
    "whole_training_set": "the whole training set was passed to self.loss: sample batch_size rows per iteration",
    "same_minibatch": "every iteration used the same minibatch: sample new indices at every iteration, with the "
                      "generator rng",
    "batch_not_rows": "select whole rows: X_batch = X[indices] with one index per example",
    "batch_labels_mismatch": "index X and y with the same indices",
    "reg_not_passed": "train passed reg = {seen} to self.loss instead of its own argument reg = {wanted}: pass it "
                      "on, self.loss(X_batch, y_batch, reg)",
    "train_restarts_W": "train must start from the existing self.W when it is already set",
    "train_not_seeded": "draw the minibatch indices from rng (seeded by seed), not from np.random",
    "train_modifies_data": "index X and y into new arrays (X[indices]) instead of shuffling or changing them in "
                           "place",
    "poor_accuracy": "check the update W -= learning_rate * dW, the minibatch sampling and predict",
    "predict_shape": "predict returned shape {shape}: one label per row of X, the argmax over classes (axis=1)",
    "predict_axis_0": "the argmax was taken over examples (axis=0): take it over classes, axis=1",
    "predict_argmin": "these are the lowest-scoring classes: use argmax",
    "predict_float": "np.argmax returns integers; do not store them in a float array",
}


class Hint(str):
    """A likely cause as the student reads it; ``mistake`` is the id of the mistake it names."""

    def __new__(cls, text, mistake):
        hint = super().__new__(cls, text)
        hint.mistake = mistake
        return hint

    def __reduce__(self):
        return Hint, (str(self), self.mistake)


def hint(mistake, **fields):
    """The sentence of ``mistake`` (an id of :data:`MISTAKES`) with its fields filled in, as a :class:`Hint`."""
    text = MISTAKES[mistake]
    return Hint(text.format(**fields) if fields else text, mistake)


def mistakes_of(hints):
    """The ids of the mistakes ``hints`` name (plain strings name none)."""
    return [getattr(h, "mistake") for h in hints if hasattr(h, "mistake")]
