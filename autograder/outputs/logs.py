"""``OUT/.logs/<student_id>.txt``: what each student's code printed (capped), for the instructor only."""


def write(result, out):
    logs = out / ".logs"
    logs.mkdir(exist_ok=True)
    for student in result.students:
        text = student.output.decode("utf-8", errors="replace")
        if student.output_dropped:
            text += f"\n[... {student.output_dropped} more bytes of output dropped]\n"
        if student.grader_error:
            text += f"\n[grader error]\n{student.grader_error}"
        (logs / f"{student.student_id}.txt").write_text(text, encoding="utf-8")
