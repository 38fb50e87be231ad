"""The one list of the mistakes the checks recognise: a stable id and the sentence a student reads.

The notebooks' checks and the autograder name a mistake only through
:func:`hint`, so a student reads the same sentence in the notebook and in the
grader's feedback. :mod:`.diagnosis` decides which mistakes a wrong result
shows. The ids are stable: ``autograder/points.toml`` names them in its
``[partial_credit]`` table. A sentence may hold ``{fields}`` that the caller
fills in (shapes, counts).

A sentence names the concept and where to look, not the line to type: the
students can read this whole list, so no sentence holds code of a solution
(``tests/autograder/test_diagnosis.py`` checks it), and none answers a
notebook's inline question.
"""

MISTAKES = {
    # -- the form of a result (any function) --------------------------------------------------------------
    "returned_zeros": "{what} is exactly 0 everywhere, the value the function starts from: compute it before "
                      "returning it",
    "not_a_pair": "return both results, ({names}), as the stub's last line does",
    "input_modified": "the function modified its input {name} in place: an in-place operation (-=, +=, a slice "
                      "assignment) on {name} or on a view of it changes the caller's array; make the result a new "
                      "array instead",
    "input_written": "the function writes into its input {names} in place (the grader passes inputs read-only, so "
                     "numpy refused the write): an in-place operation on an input or on a view of it changes the "
                     "caller's array; make the result a new array instead",

    # -- losses: the form of (loss, dW) and numerical stability --------------------------------------------
    "loss_not_scalar": "the loss must be a single number, but it has shape {shape}: average the per-example "
                       "losses over the batch",
    "exp_overflow": "a score overflowed in exp(): shift each row's scores by that row's maximum before "
                    "exponentiating (the probabilities do not change, and the largest exponent becomes exp(0) = 1)",
    "global_max_shift": "the scores were shifted by one maximum for the whole batch: a row whose scores all lie "
                        "far below it gives exp() = 0 and log(0) = -inf; shift each row by its own maximum, taken "
                        "over the classes and kept as a column so that it broadcasts",
    "dW_transposed": "dW has shape {got}, the transpose of W's {W}: check the order of the factors of the product "
                     "that builds dW (features along its rows, classes along its columns)",
    "dW_shape": "dW must have W's shape {W}, but it has shape {got}",
    "cs231n_2015_layout": "W is used as if it had shape (C, D) and X shape (D, N), the layout of CS231n's 2015 "
                          "assignment; here W has shape (D, C) = {W} and X shape (N, D) = {X}, so the scores are "
                          "X times W, one row per example",
    "hard_coded_classes": "an index ran past the last class: here C = {C}; take the number of classes from W's "
                          "shape, not a fixed number such as 10",

    # -- losses: the value ------------------------------------------------------------------------------------
    "svm_correct_class_counted": "every example's loss is exactly 1 too high: compare the classes your sum over j "
                                 "visits with the classes in the definition of L_i",
    "loss_sum_not_mean": "the loss is N times too large: the data loss is the mean of the per-example losses, not "
                         "their sum",
    "loss_all_times_n": "the whole loss, regularization included, is N times too large: only the data loss is "
                        "averaged over the examples; the penalty is added once, after",
    "reg_divided_by_n": "the regularization term was divided by N along with the data loss: the penalty does not "
                        "depend on the examples, so it is added after averaging",
    "reg_missing": "the regularization term (reg times the sum of the squared weights) is missing from the loss",
    "half_reg": "this is the convention of older CS231n versions, a penalty of half reg times the sum of squares "
                "(whose gradient has no factor 2): this assignment's penalty is reg times the sum of squares, in "
                "the loss and, differentiated, in dW",
    "reg_halved": "the regularization term is half of reg times the sum of squares: a factor 1/2 this assignment "
                  "does not use (older CS231n versions did, with dW's term halved too), or a division that reaches "
                  "further than meant",
    "reg_doubled": "the regularization term is twice reg times the sum of squares: the factor 2 comes from "
                   "differentiating the squares, so it belongs in dW, not in the loss",
    "counted_twice": "the loss is twice what it should be, as if every example were counted twice: look for a "
                     "block of the computation that runs twice (a loop or a line repeated)",
    "loss_divided_twice": "the loss is N times too small: the data loss was averaged over the examples twice; "
                          "the sum of the per-example losses is divided by N once",
    "bias_not_regularized": "the penalty leaves out the last row of W, the bias row of the bias trick: this "
                            "assignment regularizes the whole W, bias row included (the squares of every entry)",
    "reg_strength_missing": "the sum of the squared weights was added without its strength: the penalty is scaled "
                            "by reg",
    "squared_hinge": "this is the squared hinge loss: each violated margin counts by its size, not squared",
    "softmax_sign_flipped": "the sign is flipped: the softmax loss is -log(p_y), which is never negative",
    "softmax_probs_colon": "the loss averages an N x N block of probabilities, every example's probability of "
                           "every label in y (what a slice over the rows together with y picks): take one entry "
                           "per row, the correct class's, indexing rows and labels in pairs",
    "probability_clipped": "the loss of an example whose correct-class probability is tiny is capped at about "
                           "{cap}: a small constant added to p_y (or a floor on it) before the log changes the loss "
                           "exactly where the model is most wrong; take the log of the softmax from the shifted "
                           "scores themselves (log-sum-exp), which needs no constant",
    "softmax_exp_of_correct_score": "each example's loss subtracts exp() of the correct class's score where "
                                    "-log p_y subtracts the score itself: write out -log(exp(s_y) / sum_j "
                                    "exp(s_j)) and simplify the log of an exponential",
    "labels_of_first_example": "every example was scored with the first example's label: inside the loop over "
                               "examples, each example's correct class is its own label",

    # -- losses: the gradient ------------------------------------------------------------------------------------
    "reg_grad_not_doubled": "dW's regularization part is off by reg * W, half of what it should be: differentiate "
                            "the penalty of one weight, reg times its square",
    "reg_grad_missing": "dW lacks the gradient of the regularization term: the penalty is part of the loss, so its "
                        "derivative is part of dW",
    "reg_grad_before_mean": "the regularization gradient was divided by N along with the data gradient: the "
                            "penalty does not depend on the examples, so its gradient is added after averaging",
    "reg_grad_strength_missing": "the penalty's gradient was added without its strength reg",
    "grad_sum_not_mean": "dW is N times too large: the data gradient is the mean of the per-example gradients, "
                         "not their sum",
    "grad_all_times_n": "dW, regularization included, is N times too large: only the data gradient is averaged "
                        "over the examples",
    "grad_wrong_sign": "dW has the wrong sign: it must point uphill (the optimizer subtracts it)",
    "reg_grad_wrong_sign": "the regularization gradient has the wrong sign: the penalty grows as a weight moves "
                           "away from 0, so its gradient has the sign of W",
    "grad_counted_twice": "dW is twice what it should be, as if every example were counted twice: look for a "
                          "block of the gradient's computation that runs twice",
    "grad_divided_twice": "dW is N times too small: the data gradient was averaged over the examples twice; the "
                          "sum of the per-example gradients is divided by N once",
    "grad_last_example_only": "dW holds only the last example's contribution: the lines that add an example's "
                              "gradient must run once for every example, inside the loop over examples",
    "softmax_missing_minus_one": "the correct class's -1 is missing from the score gradient: differentiate "
                                 "-log p_y with respect to each score, and treat the correct class's score, which "
                                 "also appears in the numerator, on its own",
    "softmax_minus_one_twice": "the correct class's 1 is subtracted twice from the score gradient: its term "
                               "belongs to each example once",
    "svm_correct_column_unchanged": "the correct class's column never changes: every margin of example i holds "
                                    "s_y as well, with a minus sign, so a violated margin also moves the weights "
                                    "of class y[i]; differentiate it with respect to them too",
    "svm_correct_column_wrong_sign": "the correct class's column has the wrong sign: s_y enters each margin with a "
                                     "minus sign, so a violated margin moves column y[i] the opposite way from "
                                     "column j",
    "svm_counts_whole_batch": "column y[i] moves once per violated margin of the whole batch: count the violated "
                              "margins of each example on its own, one count per row (a sum along the classes)",
    "svm_mask_counts_correct_class": "the correct class's own margin (always 1 until it is set to 0) is counted "
                                     "as a violation, so column y[i] moves once too often: leave the correct "
                                     "classes out of the violated margins before counting them",
    "svm_correct_column_constant": "the correct class's column changes by the same number in every feature: "
                                   "differentiate s_y with respect to each weight of class y[i], and each weight's "
                                   "slope depends on the feature it multiplies",
    "svm_mask_before_max": "dW moves the weights of margins that are not violated: which margins count must be "
                           "decided after max(0, .), so that only positive margins reach dW",
    "largest_gradient_difference": "the largest difference is at dW[{row}, {column}], the weight of feature {row} "
                                   "for class {column}: recheck how example i contributes to column {column}",
    "naive_disagrees": "if check_{naive}() passes, the difference is in {name}",

    # -- numerical gradients and gradient checks ------------------------------------------------------------------
    "x_not_restored": "x was not restored: each entry you nudge must hold its original value again once both "
                      "evaluations are done (x is the caller's point, and f reads it)",
    "numerical_gradient_shape": "the gradient must have x's shape {expected}, got {got}",
    "forward_difference": "this is the one-sided (forward) difference, which steps up from x only: its error "
                          "shrinks like h; a centered difference, which steps both ways, is exact for quadratics "
                          "and its error shrinks like h squared",
    "numerical_gradient_doubled": "the gradient is twice too large: the two evaluations lie 2h apart, and the "
                                  "slope is their difference over that distance",
    "numerical_gradient_halved": "the gradient is half what it should be: the two evaluations lie 2h apart, not "
                                 "4h",
    "h_ignored": "the argument h was ignored: step by the h the caller passes, not a fixed 1e-5",
    "errors_not_an_array": "return the array of all {num_checks} relative errors, not a single number such as "
                           "their maximum",
    "errors_shape": "return one relative error per check, shape ({num_checks},); got shape {shape}",
    "errors_nan": "an error is NaN, 0/0 where the numerical and analytic values are both 0: decide what the "
                  "relative error of two equal zeros is before dividing",
    "errors_negative": "a relative error is negative: it measures the size of the difference, whatever its sign",
    "errors_forward_difference": "the numerical values are one-sided (forward) differences: use centered ones, "
                                 "which step both ways from x",
    "errors_signed_denominator": "the denominator can cancel or change sign: it is the scale of the two values, "
                                 "so it adds their sizes, each made positive on its own",
    "errors_not_divided": "these are absolute differences: divide each by the scale of its two values to make it "
                          "relative",
    "errors_same_entries": "the errors all come from the same few entries of x: draw a new random entry, one "
                           "index per axis, for every check",
    "seed_ignored": "two calls with the same seed must check the same entries: draw every index from a generator "
                    "created from seed inside the function",

    # -- regularization penalties ------------------------------------------------------------------------------
    "penalty_not_scalar": "R(W) must be one number, a sum over every entry of W (over all axes); got shape "
                          "{shape}",
    "penalty_gradient_shape": "the gradient must have W's shape {W}, one entry per weight, but it has shape {got}",
    "penalty_any_shape": "W may be a 1-D vector: sum over all entries, whatever the shape",
    "l2_norm": "this is the norm ||W||; the L2 penalty is its square, with no square root",
    "l2_half": "there is an extra factor 1/2: this assignment's L2 penalty is the plain sum of squares",
    "l2_not_squared": "the entries are summed without squaring them",
    "l2_is_l1": "this is the L1 penalty, a sum of absolute values: the L2 penalty squares the entries instead",
    "l1_no_abs": "negative entries cancel positive ones: the L1 penalty sums the entries' sizes",
    "l1_is_l2": "this is the L2 penalty, a sum of squares: the L1 penalty sums absolute values",
    "elastic_beta_on_l1": "beta multiplies the L1 part: in the lecture's elastic net beta weighs the squares, and "
                          "the absolute values enter unweighted",
    "elastic_l1_missing": "the L1 part, the sum of absolute values, is missing",
    "elastic_l2_missing": "the L2 part, beta times the sum of squares, is missing",
    "elastic_l1_no_abs": "the L1 part needs absolute values: negative entries cancel positive ones",
    "elastic_beta_ignored": "beta is ignored: it weighs the squares",
    "elastic_default_beta": "the beta argument is ignored: use the beta passed in, not the default 0.5",
    "l2_gradient_is_W": "the gradient is W, half of what it should be: differentiating a square brings its power "
                        "down as a factor",
    "l2_gradient_sign": "the gradient has the wrong sign: R grows with |w|, so its slope has the sign of w",
    "l2_gradient_is_l1": "this is the L1 subgradient, the signs of W: the slope of the L2 penalty grows with w",
    "l1_gradient_is_W": "the gradient is W, but |w| is a straight line on each side of 0: its slope is +1 or -1, "
                        "whatever the size of w",
    "l1_gradient_ones": "the subgradient of |w| is -1 for negative weights, not always 1",
    "l1_gradient_sign": "the subgradient has the wrong sign: |w| rises as w moves away from 0, so its slope is +1 "
                        "for w > 0",
    "l1_gradient_is_l2": "this is the L2 gradient, which grows with w: the slope of |w| is only ever +1 or -1",
    "l1_gradient_abs": "the gradient is |W|: the slope of |w| is -1 where w < 0",
    "elastic_gradient_no_two": "the L2 part's gradient is half of what it should be: differentiating beta times a "
                               "square brings the power 2 down as a factor",
    "elastic_gradient_l1_missing": "the L1 part's subgradient, the signs of W, is missing",
    "elastic_gradient_l2_missing": "the L2 part's gradient is missing",
    "elastic_gradient_beta_on_l1": "beta weighs the wrong term of the gradient: it belongs to the squares' part, "
                                   "not to the absolute values'",
    "elastic_gradient_beta_ignored": "beta is missing from the gradient of the L2 part",
    "elastic_gradient_default_beta": "the beta argument is ignored in the gradient: use the beta passed in",
    "gradient_nan_at_zero": "the gradient contains NaN or inf: dividing W by |W| divides by zero where W == 0; "
                            "|w| has no slope at 0, and any value in [-1, 1] is a valid subgradient there (0 is the "
                            "usual choice)",
    "subgradient_outside": "where W == 0 the gradient is {values}: |w| has no slope there, and a subgradient must "
                           "lie in [-1, 1]",
    "gradient_transposed": "the gradient is transposed: entry [i, j] must be the derivative with respect to "
                           "W[i, j]",
    "value_gradient_disagree": "the value and the gradient disagree: differentiate the value you return, entry by "
                               "entry",

    # -- update rules ---------------------------------------------------------------------------------------------
    "step_uphill": "the step goes uphill: the gradient points uphill, so the step moves w against it",
    "learning_rate_missing": "the step is the whole gradient: scale it by the learning rate",
    "w_unchanged": "w is returned unchanged: next_w is where w lands after one step",
    "only_the_step": "only the step was returned: next_w is w plus the step",
    "learning_rate_not_from_config": "the learning rate was not read from config (its 'learning_rate' entry)",
    "velocity_not_stored": "the weights follow plain SGD: the velocity is not stored in config (or not read back), "
                           "so it restarts at zero every call; save it as config['velocity']",
    "momentum_fixed": "the momentum is fixed at 0.9: read it from config['momentum']",
    "old_velocity_sign": "the old velocity enters with the wrong sign: momentum keeps a fraction of the previous "
                         "velocity, in the direction it had",
    "velocity_sign": "the velocity has the wrong sign, so the steps go uphill: the gradient's share of the "
                     "velocity must point downhill",
    "old_velocity_added": "w moved by the old velocity, so it did not move at the first step: w moves by this "
                          "step's velocity, the one updated with this gradient",
    "weights_blew_up": "the weights blew up: check that every step moves w against the gradient, and that the old "
                       "velocity is scaled by the momentum, a number below 1",
    "next_w_shape": "next_w must have w's shape {shape}",
    "config_incomplete": "config lacks {missing}: store the new velocity in config['velocity'] so the next call "
                         "continues from it",

    # -- learning-rate schedules ------------------------------------------------------------------------------------
    "rate_not_scalar": "return a single number, not an array of shape {shape}",
    "step_decay_smooth": "the rate shrinks smoothly: a step schedule counts whole periods of decay_every steps, so "
                         "the number of periods is rounded down to a whole number",
    "step_decay_early": "the rate is decayed one period too early (already at t = 0): the first decay_every steps "
                        "keep the starting rate",
    "step_decay_multiplied": "decay_rate is multiplied by the number of periods: each period multiplies the rate "
                             "by decay_rate once more, so the periods count as a power",
    "step_decay_every_step": "the rate decays at every step: it changes only once every decay_every steps",
    "step_decay_arguments_ignored": "the decay_rate and decay_every arguments are ignored: use the ones passed in",
    "cosine_no_half": "the factor 1/2 is missing: at t = 0 the rate must be learning_rate, not twice it",
    "cosine_no_pi": "the cosine's argument lacks pi: at t = T it must have turned half a circle, where the rate "
                    "reaches 0",
    "cosine_backwards": "the schedule runs backwards: it must start at learning_rate and end at 0",
    "cosine_no_learning_rate": "the result is not multiplied by learning_rate",
    "cosine_degrees": "the cosine's argument is in degrees: math.cos and np.cos take radians",
    "cosine_plain": "this is the plain cosine, which falls from 1 to -1: the schedule's factor is shifted and "
                    "scaled to fall from 1 to 0",

    # -- training and prediction ---------------------------------------------------------------------------------
    "train_W_shape": "W must have shape (D, C) = {shape}: D features (columns of X), C = max(y) + 1 classes",
    "train_uphill": "the weights step uphill: each step moves W against the gradient",
    "train_learning_rate_missing": "the learning rate is missing from the step: scale the gradient by it",
    "train_W_unchanged": "W did not change: update self.W with the gradient that self.loss returned",
    "train_barely_learns": "the loss barely went down: every iteration must take one step against the "
                           "minibatch's gradient",
    "loss_gradient_misleads": "every step of train followed the gradient your loss returned, yet the loss did not "
                              "fall: the loss the model uses, or its gradient, is wrong; its check in notebook 01 "
                              "says which",
    "loss_history": "return a list with the loss of every iteration, one value per step of num_iters",
    "loss_never_called": "each iteration must compute the minibatch's loss and gradient with the model's own "
                         "loss method, self.loss",
    "loss_calls_per_iteration": "call self.loss exactly once per iteration",
    "batch_size_ignored": "self.loss saw batches of {sizes} examples, not batch_size = {wanted}: sample "
                          "batch_size rows per iteration",
    "whole_training_set": "the whole training set was passed to self.loss: sample batch_size rows per iteration",
    "same_minibatch": "every iteration used the same minibatch: sample new indices at every iteration, with the "
                      "generator rng",
    "batch_not_rows": "select whole rows of X, one index per example",
    "batch_labels_mismatch": "index X and y with the same indices",
    "reg_not_passed": "train passed reg = {seen} to self.loss instead of its own argument reg = {wanted}: pass "
                      "train's reg on",
    "train_restarts_W": "train must start from the existing self.W when it is already set",
    "update_rule_ignored": "when an update_rule is given, each step's new weights are what that rule returns, "
                           "not a plain gradient step",
    "optim_config_not_carried": "a rule keeps its state (a velocity, a step count) in config: start from a copy of "
                                "optim_config and hand the config the rule returned to its next call",
    "schedule_ignored": "the rate of step t is the one the given code computes from lr_schedule; give that rate to "
                        "the step (for a rule, as config's learning_rate)",
    "search_below_threshold": "look at where the best values lie in the ranges you searched: a best value at the "
                              "edge of its range says that the range should go further that way",
    "train_not_seeded": "draw the minibatch indices from rng (seeded by seed), not from np.random",
    "train_modifies_data": "build each minibatch as new arrays, indexing X and y, instead of shuffling or "
                           "changing them in place",
    "poor_accuracy": "check the loss the model uses and its gradient (their checks in notebook 01), the update "
                     "step, the minibatch sampling and predict",
    "predict_shape": "predict returned shape {shape}: one label per row of X, the highest-scoring class of that "
                     "row",
    "predict_axis_0": "the argmax was taken over the examples: take it over the classes of each row",
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
