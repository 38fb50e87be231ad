"""The graded functions' declarations (autograder/graded.py): each names what exists, every list of graded
functions the student package keeps for itself agrees with them, and nothing is graded that is not declared."""

import pytest

from autograder import course, graded
from autograder.calls import runners
from autograder.catalogue import plan
from autograder.packages import load_reference


def test_each_declaration_names_a_function_of_a_student_module_and_declared_references():
    reference = load_reference()
    for function in graded.FUNCTIONS:
        assert function.module in course.STUDENT_MODULES, function
        assert callable(reference.target(function.module, function.name)), function
        assert graded.declared(function.reference).kind == function.kind, function
        assert set(function.runners) <= set(runners.RUNNERS), function
        if function.trains_with:
            assert graded.declared(function.trains_with).module == "losses", function
    assert len(course.GROUPS) == len(set(course.GROUPS)) == len(graded.FUNCTIONS)


def test_a_runner_that_serves_a_loss_belongs_only_to_functions_that_declare_the_loss_they_train_with():
    for function in graded.FUNCTIONS:
        served = any(runners.RUNNERS[name].service_records for name in function.runners)
        assert served == bool(function.trains_with), function


def test_a_function_of_a_kind_no_topic_grades_is_refused_when_the_catalogue_loads():
    with pytest.raises(ImportError, match="no topic module"):
        plan._adder(graded.GradedFunction("losses", "squared_loss", "squared", ("loss",)))
    with pytest.raises(ImportError, match="not runners"):
        plan._adder(graded.GradedFunction("losses", "svm_loss_twice", "svm", ("loss_twice",)))


def test_an_undeclared_group_is_named_with_the_declared_ones():
    with pytest.raises(KeyError, match="losses.svm_loss_naive"):
        graded.declared("losses.hinge_loss")


def test_the_explorers_losses_are_the_declared_vectorized_losses_of_their_kind():
    """The student package cannot import the grader: the explorer keeps its own list, checked here."""
    student = load_reference().module("explore.student")
    kinds = {"SVM": "svm", "Softmax": "softmax"}
    assert set(student.VECTORIZED_LOSSES) == set(kinds)
    for label, group in student.VECTORIZED_LOSSES.items():
        function = graded.declared(group)
        assert function.kind == kinds[label] and function.reference == group, (label, group)
    graded_modules = {function.module for function in graded.FUNCTIONS}
    assert set(student.CALLED_MODULES) <= graded_modules
