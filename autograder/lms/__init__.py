"""What connects grading to the course's LMS: the roster that maps the LMS's ids to the course's
(:mod:`.roster`) and the grades files an LMS imports (:mod:`.export`)."""
