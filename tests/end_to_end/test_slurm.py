"""The Slurm job array of ``autograder/deploy/`` submitted to a real Slurm cluster, as GRADING.md tells instructors.

The module starts a throw-away single-node cluster on 127.0.0.1 (``support/slurm.py``) and a course root
holding ``submitted/`` (four students: the reference, a stub, an l2_penalty gradient without the 2, and a
stub whose first notebook is corrupt) and the repository's ``autograder/`` folder, so the documented
commands run from it as written:

- ``sbatch --parsable autograder/deploy/slurm-grade.sbatch`` with ``--array=0-2`` (three shards are enough
  for four students on two cores; the command line overrides the script's ``#SBATCH --array=0-9``); the
  grader of task 1 is killed as soon as it starts, as the kernel's OOM killer would, so that task fails;
- ``sbatch --dependency=afterany:$jobid autograder/deploy/slurm-merge.sbatch``, which must refuse and name
  the shard to rerun;
- the documented rerun of that task and merge again;

and ``graded/all`` must equal one ``python -m autograder grade`` of the same class on this machine. Jobs get
the course secret and ``PYTHON`` (the interpreter running the tests) from the environment, which sbatch
passes on. Where the cluster cannot start the tests are skipped with the reason; with
``AUTOGRADER_REQUIRE_SLURM=1`` (for CI) they fail instead.
"""

import contextlib
import os
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from support.slurm import FINISHED, SlurmUnavailable, slurm_cluster
from support.submissions import PYTHON, REPO, make_submission

TASKS = 3
FAILED_TASK = 1
SECRET = "the course secret of the Slurm test"
#: Sorted ids: alice, bob, carol, dave; the k-th goes to shard k mod 3, so the failed task 1 held bob.
L2_BUG = {"regularization.py": """
    def l2_penalty(W):
        return float(np.sum(W * W)), W.copy()
    """}
#: Generous: the four students take seconds; a slow CI machine may take minutes.
JOB_SECONDS = 300


def cannot_run(reason):
    if os.environ.get("AUTOGRADER_REQUIRE_SLURM") == "1":
        pytest.fail(f"{reason} (and AUTOGRADER_REQUIRE_SLURM=1 requires the Slurm test to run)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def cluster():
    try:
        with slurm_cluster() as started:
            yield started
    except SlurmUnavailable as error:
        cannot_run(f"no Slurm cluster could start: {error}")


def job_id(completed):
    """The job id printed by ``sbatch --parsable`` (``jobid`` or ``jobid;cluster``)."""
    return completed.stdout.strip().split(";")[0]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course root as an instructor has it on the login node: the repository's autograder/ and submitted/."""
    root = tmp_path_factory.mktemp("slurm") / "course"
    root.mkdir()
    (root / "autograder").symlink_to(REPO / "autograder", target_is_directory=True)
    submitted = root / "submitted"
    make_submission(submitted, "alice")
    make_submission(submitted, "bob", "stubs")
    make_submission(submitted, "carol", append=L2_BUG)
    make_submission(submitted, "dave", "stubs", files={"01_loss_functions.ipynb": '{"cells": [ broken'})
    return root


@pytest.fixture(scope="module")
def runs(cluster, course):
    """The documented workflow on the cluster, and one single-machine grade of the class at the same time."""
    cluster.env.update(AUTOGRADER_SECRET=SECRET, PYTHON=str(PYTHON))  # sbatch passes its environment to the jobs
    whole = course.parent / "whole"
    single = subprocess.Popen([str(PYTHON), "-m", "autograder", "grade", "submitted", "--out", str(whole),
                               "--jobs", "2", "--seed", "0", "--quiet"], cwd=course, env=cluster.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def sbatch(*arguments):
        return job_id(cluster.run("sbatch", "--parsable", *arguments, cwd=course))

    array = sbatch(f"--array=0-{TASKS - 1}", "autograder/deploy/slurm-grade.sbatch")
    first_merge = sbatch(f"--dependency=afterany:{array}", "autograder/deploy/slurm-merge.sbatch")
    killed = kill_grader(cluster, array, FAILED_TASK)
    first = {"tasks": cluster.wait(array, JOB_SECONDS), "merge": cluster.wait(first_merge, JOB_SECONDS)[None],
             "killed": killed}
    first["folders"] = sorted(path.name for path in (course / "graded").iterdir())
    rerun = sbatch(f"--array={FAILED_TASK}", f"--export=ALL,SHARDS={TASKS}", "autograder/deploy/slurm-grade.sbatch")
    second_merge = sbatch(f"--dependency=afterany:{rerun}", "autograder/deploy/slurm-merge.sbatch")
    second = {"tasks": cluster.wait(rerun, JOB_SECONDS), "merge": cluster.wait(second_merge, JOB_SECONDS)[None]}
    stdout, stderr = single.communicate()
    assert single.returncode == 0, stderr
    return {"course": course, "graded": course / "graded", "whole": whole, "first": first, "second": second,
            "ids": {"array": array, "first_merge": first_merge, "rerun": rerun, "second_merge": second_merge}}


def kill_grader(cluster, array, task):
    """Kill the grader of one array task as soon as it runs, as the kernel's OOM killer would; its command line."""
    deadline = time.monotonic() + JOB_SECONDS
    while time.monotonic() < deadline:
        for process in psutil.process_iter(["cmdline"]):
            with contextlib.suppress(psutil.Error):
                environment = process.environ()
                # SLURM_CONF tells this cluster's jobs from another test cluster's, whose ids also start at 1.
                if (environment.get("SLURM_CONF") == str(cluster.conf)
                        and environment.get("SLURM_ARRAY_JOB_ID") == array
                        and environment.get("SLURM_ARRAY_TASK_ID") == str(task)
                        and "autograder" in (process.info["cmdline"] or [])):
                    process.kill()
                    return process.info["cmdline"]
        if cluster.jobs(f"{array}_{task}")[task]["JobState"] in FINISHED:
            break
        time.sleep(0.05)
    raise AssertionError(f"the grader of task {task} of job {array} was never seen running: "
                         f"{cluster.jobs(f'{array}_{task}')[task]}")


def job_output(job):
    return Path(job["StdOut"]).read_text()


def files_under(folder):
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def test_the_array_runs_one_task_per_shard_and_a_failed_task_leaves_no_shard(runs):
    tasks = runs["first"]["tasks"]
    assert sorted(tasks) == list(range(TASKS))
    states = {task: (job["JobState"], job["ExitCode"]) for task, job in tasks.items()}
    # ExitCode is status:signal; the killed grader was the batch script itself (it execs python).
    assert states == {0: ("COMPLETED", "0:0"), 1: ("FAILED", "0:9"), 2: ("COMPLETED", "0:0")}
    killed = runs["first"]["killed"]
    assert killed[killed.index("--shard") + 1] == f"{FAILED_TASK}/{TASKS}"
    # The killed grader wrote nothing, so merge finds no folder of shard 1 (nor, having refused, wrote its own).
    assert runs["first"]["folders"] == ["shard-0", "shard-2"]
    for task in (0, 2):
        assert Path(tasks[task]["StdOut"]).name == f"grade-{runs['ids']['array']}_{task}.out"
        assert f"shard {task}/{TASKS} of a batch of 4" in job_output(tasks[task])


def test_the_merge_after_a_failed_task_refuses_and_names_the_shard_to_rerun(runs):
    merge = runs["first"]["merge"]
    assert (merge["JobState"], merge["ExitCode"]) == ("FAILED", "2:0")
    output = job_output(merge)
    assert output.startswith(f"merge refused: Shard {FAILED_TASK}/{TASKS} missing: "), output
    assert f"--shard {FAILED_TASK}/{TASKS}" in output


def test_the_documented_rerun_of_the_failed_task_grades_its_shard_and_the_merge_succeeds(runs):
    (rerun,) = runs["second"]["tasks"].values()
    assert (rerun["JobState"], rerun["ExitCode"]) == ("COMPLETED", "0:0"), job_output(rerun)
    assert f"shard {FAILED_TASK}/{TASKS} of a batch of 4" in job_output(rerun)
    merge = runs["second"]["merge"]
    assert (merge["JobState"], merge["ExitCode"]) == ("COMPLETED", "0:0"), job_output(merge)
    assert f"merged {TASKS} shards: 4 submissions" in job_output(merge)


def test_the_merged_batch_equals_one_run_on_one_machine(runs):
    whole, merged = runs["whole"], runs["graded"] / "all"
    assert (merged / "grades.csv").read_bytes() == (whole / "grades.csv").read_bytes()
    assert (merged / "seeds.csv").read_bytes() == (whole / "seeds.csv").read_bytes()
    student_files = [name for name in files_under(whole) if name != "summary.html"]
    assert [name for name in files_under(merged) if name != "summary.html"] == student_files
    assert {name.split("/")[0] for name in student_files} >= {"alice", "bob", "carol", "dave"}
    for name in student_files:
        assert (merged / name).read_bytes() == (whole / name).read_bytes(), name
    # The same page, sandbox line and histograms included, plus one line saying it was merged.
    whole_lines = (whole / "summary.html").read_text().splitlines()
    merged_lines = (merged / "summary.html").read_text().splitlines()
    extra = [line for line in merged_lines if line not in whole_lines]
    assert extra == [f'<p class="note">Merged from {TASKS} shards of a batch of 4 submissions '
                     "(python -m autograder merge).</p>"]
    assert [line for line in merged_lines if line not in extra] == whole_lines
    assert "Sandbox: bubblewrap." in (merged / "summary.html").read_text()
