"""How graded functions are called and how their results travel: :mod:`.runners` and :mod:`.wire`.

Both modules are standalone (standard library and numpy): the sandbox runs them from a read-only copy.
"""
