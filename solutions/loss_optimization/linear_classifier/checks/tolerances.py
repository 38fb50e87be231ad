"""Tolerances and thresholds of every comparison the checks and the autograder make: the one place for them.

A student's result matches an expected one when
``|got - expected| <= ABSOLUTE + RELATIVE * |expected|`` element-wise.
"""

#: Losses and gradients computed in float64 by any reasonable formulation agree to this.
RELATIVE = 1e-6
ABSOLUTE = 1e-8
#: Worked examples from the lecture are printed to two decimals.
LECTURE_DECIMALS = 0.005
#: Largest acceptable relative error of a gradient check (centered differences, h = 1e-5).
GRADIENT_CHECK = 1e-5
#: The floor of a relative error's denominator, ``|a - b| / max(FLOOR, |a| + |b|)``: the one definition of the
#: notebooks (the given ``gradients.rel_error`` and ``grad_check_sparse``'s errors).
RELATIVE_ERROR_FLOOR = 1e-8
#: Numerical gradients are approximations: they match an analytic gradient to this, and a relative error a
#: gradient check reports matches the error at an entry of x to this.
NUMERICAL_GRADIENT_RELATIVE = 1e-5
NUMERICAL_GRADIENT_ABSOLUTE = 1e-7
#: Recognising a mistake whose result equals the right one's up to rounding (a forward difference on a
#: quadratic, say) needs a tighter match than grading does.
EXACT_RELATIVE = 1e-9
EXACT_ABSOLUTE = 1e-12
#: ``x`` counts as restored when every entry is back within this: ``x[ix] += h; ...; x[ix] -= h`` may
#: leave a rounding error in the last bits, leaving ``x + h`` may not.
RESTORED_RELATIVE = 1e-12
RESTORED_ABSOLUTE = 1e-15
#: A gradient check's errors must look like errors at randomly drawn entries: if uniform draws would land
#: on no entries but the few the reported errors could come from with a probability below this, the
#: entries were not drawn at random (or the errors were made up).
RANDOM_ENTRIES_CHANCE = 1e-12
#: ``train`` passed ``reg`` on unchanged when every value ``self.loss`` saw is within this (relative).
REG_PASSED_RELATIVE = 1e-12
