"""Gradescope: the autograder bundle (:mod:`.bundle`) and what its ``run_autograder`` runs (:mod:`.run`)."""
