"""How graded functions are called, how their results travel and what happened to them: :mod:`.runners`,
:mod:`.wire` and :mod:`.status`.

All three are standalone (standard library and numpy): the sandbox runs them from a read-only copy.
"""
