"""Instructor tooling for the loss_optimization course: release building and grading."""
