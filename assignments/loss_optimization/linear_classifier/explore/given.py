"""The given (not student) helpers of the package that panels use: the digits and the label checks.

Panels reach the rest of the package only through the explorer's shared
modules and the student modules; this is their one door to the given ones.
"""

from ..data import get_digits_data
from ..validation import check_labels

__all__ = ["check_labels", "get_digits_data"]
