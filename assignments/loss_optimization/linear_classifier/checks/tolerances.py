"""Tolerances of every comparison the checks and the autograder make: the one place for them.

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
#: Numerical gradients are approximations: they match an analytic gradient to this.
NUMERICAL_GRADIENT_RELATIVE = 1e-5
NUMERICAL_GRADIENT_ABSOLUTE = 1e-7
