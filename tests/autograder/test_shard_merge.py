"""``grade --shard I/N`` and ``merge``: a batch graded in 3 shards and merged equals one run; merge refuses what
cannot be combined; the Slurm and Kubernetes examples pass each task's index and the shard count to ``--shard``."""

import csv
import html
import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import yaml  # comes with nbgrader
from nbgrader.api import Gradebook

from autograder import catalogue
from autograder.__main__ import build_parser, main
from autograder.grading import grade_batch
from autograder.points import group_points, load_points
from autograder.grading.shard import MANIFEST, Shard
from support.submissions import PYTHON, REPO, make_submission

DEPLOY = REPO / "autograder" / "deploy"
ASSIGNMENT = "loss_optimization"
#: alice and carol do real work (carol's l2_penalty gradient forgets the 2); bob and dave hand in the stubs
#: (dave's first notebook is corrupt, a note that must survive the merge).
L2_BUG = {"regularization.py": """
    def l2_penalty(W):
        return float(np.sum(W * W)), W.copy()
    """}
#: Sorted ids: alice, bob, carol, dave; the k-th goes to shard k mod 3.
EXPECTED_SHARDS = {0: ["alice", "dave"], 1: ["bob"], 2: ["carol"]}
SEED = "7"


def grade(submitted, out, *extra, env=None):
    """Start ``python -m autograder grade`` (returns the process: the runs of a fixture go at once)."""
    return subprocess.Popen([str(PYTHON), "-m", "autograder", "grade", str(submitted), "--out", str(out),
                             "--timeout", "10", "--quiet", *extra], cwd=REPO, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def merge(*folders, out, extra=()):
    return subprocess.run([str(PYTHON), "-m", "autograder", "merge", *map(str, folders), "--out", str(out), *extra],
                          cwd=REPO, capture_output=True, text=True)




def gradebook_with_a_kernel_only_pass(path):
    """A course gradebook with the l2_penalty test cell, in which carol's notebook passed it in its own kernel."""
    url = f"sqlite:///{path}"
    total = group_points(load_points())["regularization.l2_penalty"]
    cell, notebook = catalogue.grade_id("regularization.l2_penalty"), "03_regularization"
    with pytest.MonkeyPatch.context() as patch, warnings.catch_warnings():
        # nbgrader runs the `alembic` command of its environment when it creates a database.
        patch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]))
        warnings.simplefilter("ignore")  # SQLAlchemy's notes on nbgrader's own session handling
        Gradebook(url, course_id=ASSIGNMENT).close()
    with warnings.catch_warnings(), Gradebook(url, course_id=ASSIGNMENT) as gradebook:
        warnings.simplefilter("ignore")
        gradebook.add_assignment(ASSIGNMENT)
        gradebook.add_notebook(notebook, ASSIGNMENT)
        gradebook.add_grade_cell(cell, notebook, ASSIGNMENT, max_score=total, cell_type="code")
        gradebook.add_student("carol")
        gradebook.add_submission(ASSIGNMENT, "carol")
        gradebook.find_grade(cell, notebook, ASSIGNMENT, "carol").auto_score = total
        gradebook.db.commit()
    return url


def l2_scores(url):
    cell = catalogue.grade_id("regularization.l2_penalty")
    with warnings.catch_warnings(), Gradebook(url, course_id=ASSIGNMENT) as gradebook:
        warnings.simplefilter("ignore")
        return {submission.student.id: gradebook.find_grade(cell, "03_regularization", ASSIGNMENT,
                                                            submission.student.id).auto_score
                for submission in gradebook.find_assignment(ASSIGNMENT).submissions}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Four students graded in one run and in 3 shards, at once; shard 1 again with another seed and secret, and
    with another memory limit; shard 2 again after a late submission (aaron) changed the batch; the shards
    merged."""
    root = tmp_path_factory.mktemp("shards")
    course = root / "course"
    submitted = course / "submitted"
    make_submission(submitted, "alice")
    make_submission(submitted, "bob", "stubs")
    make_submission(submitted, "carol", append=L2_BUG)
    make_submission(submitted, "dave", "stubs", files={"01_loss_functions.ipynb": '{"cells": [ broken'})
    late = root / "late" / "submitted"
    shutil.copytree(submitted, late, symlinks=True)
    make_submission(late, "aaron", "stubs")
    gradebook = gradebook_with_a_kernel_only_pass(course / "gradebook.db")
    other_secret = {**os.environ, "AUTOGRADER_SECRET": "another course secret"}
    runs = [grade(submitted, root / "whole", "--seed", SEED, "--jobs", "2", "--gradebook", "none")]
    # The shards keep the default --gradebook auto, which must leave the course's gradebook to merge.
    runs += [grade(submitted, root / f"shard-{index}", "--seed", SEED, "--shard", f"{index}/3") for index in range(3)]
    runs += [grade(submitted, root / "shard-1-other", "--seed", "8", "--shard", "1/3", env=other_secret),
             grade(late, root / "shard-2-late", "--seed", SEED, "--shard", "2/3"),
             grade(submitted, root / "shard-1-memory", "--seed", SEED, "--shard", "1/3", "--memory-mb", "900")]
    outputs = [run.communicate() for run in runs]
    for run, (_, stderr) in zip(runs, outputs):
        assert run.returncode == 0, stderr
    shards = [root / f"shard-{index}" for index in range(3)]
    merged = merge(*shards, out=root / "all", extra=("--gradebook", "none"))
    assert merged.returncode == 0, merged.stderr
    return {"root": root, "whole": root / "whole", "shards": shards, "all": root / "all", "gradebook": gradebook,
            "scores_after_shards": l2_scores(gradebook), "shard_stdout": [stdout for stdout, _ in outputs[1:4]],
            "merge": merged}


def group_scores(out, group):
    """``{student: score in the tests of group}`` from ``out/grades.csv``."""
    totals = {}
    with open(out / "grades.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["test"].startswith(group + "."):
                totals[row["student_id"]] = totals.get(row["student_id"], 0.0) + float(row["score"])
    return totals


def files_under(folder):
    return sorted(path.relative_to(folder).as_posix() for path in folder.rglob("*") if path.is_file())


def test_three_merged_shards_give_the_grades_csv_of_one_run(graded):
    whole, merged = graded["whole"], graded["all"]
    assert (merged / "grades.csv").read_bytes() == (whole / "grades.csv").read_bytes()
    assert (merged / "seeds.csv").read_bytes() == (whole / "seeds.csv").read_bytes()
    with open(merged / "grades.csv", newline="") as handle:
        students = {row["student_id"] for row in csv.DictReader(handle)}
    assert students == {"alice", "bob", "carol", "dave"}
    assert "merged 3 shards: 4 submissions" in graded["merge"].stdout


def test_merged_student_folders_logs_and_summary_match_one_run(graded):
    whole, merged = graded["whole"], graded["all"]
    student_files = [name for name in files_under(whole) if name not in ("summary.html",)]
    assert [name for name in files_under(merged) if name != "summary.html"] == student_files
    for name in student_files:
        assert (merged / name).read_bytes() == (whole / name).read_bytes(), name
    # The same page, histograms included, plus one line saying it was merged.
    whole_lines = (whole / "summary.html").read_text().splitlines()
    merged_lines = (merged / "summary.html").read_text().splitlines()
    extra = [line for line in merged_lines if line not in whole_lines]
    assert extra == ['<p class="note">Merged from 3 shards of a batch of 4 submissions '
                     '(python -m autograder merge).</p>']
    assert [line for line in merged_lines if line not in extra] == whole_lines
    assert "01_loss_functions.ipynb is not a readable notebook" in (merged / "summary.html").read_text()


def test_each_shard_grades_every_third_student_in_sorted_order(graded):
    for index, folder in enumerate(graded["shards"]):
        manifest = json.loads((folder / MANIFEST).read_text())
        assert manifest["shard"] == {"index": index, "count": 3}
        assert manifest["batch"] == ["alice", "bob", "carol", "dave"]
        assert list(manifest["students"]) == EXPECTED_SHARDS[index]
        with open(folder / "grades.csv", newline="") as handle:
            assert sorted({row["student_id"] for row in csv.DictReader(handle)}) == EXPECTED_SHARDS[index]
        assert f"shard {index}/3 of a batch of 4" in graded["shard_stdout"][index]
        assert f"Shard {index}/3: " in (folder / "summary.html").read_text()


def test_shards_leave_the_gradebook_to_merge_which_writes_it_and_flags_kernel_only_passes(graded, tmp_path):
    total = group_points(load_points())["regularization.l2_penalty"]
    assert graded["scores_after_shards"] == {"carol": total}  # what nbgrader autograde left, untouched
    completed = merge(*graded["shards"], out=tmp_path / "all")  # --gradebook auto: the course's gradebook.db
    assert completed.returncode == 0, completed.stderr
    assert "Scores written to the gradebook sqlite:///" in completed.stdout
    sandboxed = group_scores(graded["whole"], "regularization.l2_penalty")
    assert l2_scores(graded["gradebook"]) == sandboxed
    assert sandboxed["alice"] == total and sandboxed["carol"] < total
    summary = html.unescape((tmp_path / "all" / "summary.html").read_text())
    assert "Suspicious submissions" in summary
    assert (f"carol: regularization.l2_penalty: {total:g} points in the notebook's kernel, "
            f"{sandboxed['carol']:g} in the sandbox") in summary
    assert (tmp_path / "all" / "grades.csv").read_bytes() == (graded["whole"] / "grades.csv").read_bytes()


@pytest.mark.parametrize("case, folders, message", [
    ("missing", ["shard-0", "shard-2"], "Shard 1/3 missing: merge needs all 3 shards"),
    ("duplicated", ["shard-0", "shard-1", "shard-2", "shard-1"], "Shard 1/3 is given more than once"),
    ("other seed and secret", ["shard-0", "shard-1-other", "shard-2"], "The shards were graded differently"),
    ("batch changed", ["shard-0", "shard-1", "shard-2-late"], "The shards saw different batches"),
    ("other memory limit", ["shard-0", "shard-1-memory", "shard-2"], "The shards were graded differently"),
    ("not a shard", ["shard-0", "shard-1", "shard-2", "whole"], "has no shard.json"),
])
def test_merge_refuses_shards_that_do_not_make_one_batch_and_writes_nothing(graded, tmp_path, case, folders,
                                                                           message):
    completed = merge(*(graded["root"] / name for name in folders), out=tmp_path / "merged")
    assert completed.returncode == 2
    assert completed.stderr.startswith("merge refused: ") and message in completed.stderr, completed.stderr
    assert not (tmp_path / "merged").exists()
    if case == "other seed and secret":
        assert "seed (--seed): 7 in " in completed.stderr and "; 8 in " in completed.stderr
        assert "secret ($AUTOGRADER_SECRET" in completed.stderr
        assert "another course secret" not in completed.stderr
    if case == "batch changed":
        assert "only in the second: aaron" in completed.stderr
    if case == "other memory limit":
        odd = graded["root"] / "shard-1-memory"
        assert "limits.memory_mb (a limit of the sandbox: grade's option of that name, e.g. --memory-mb" \
               in completed.stderr
        assert "): 1024 in " in completed.stderr and f"; 900 in {odd}" in completed.stderr
        # Only the limit that differs is named, and the message says what to do.
        assert "limits.timeout" not in completed.stderr
        assert "Grade the shards that differ from the others again, with the same options" in completed.stderr


def shard_record_of_format_2(manifest):
    """What the previous autograder wrote: the time limits alone, at the top of its settings."""
    limits = manifest["settings"].pop("limits")
    manifest["settings"].update({name: limits[name] for name in ("timeout", "import_timeout", "budget")})
    return {**manifest, "format": 2}


def shard_record_without_limits(manifest):
    del manifest["settings"]["limits"]
    return manifest


@pytest.mark.parametrize("edit, message", [
    (shard_record_of_format_2, "was written by another version of the autograder (format 2, this one reads 3): "
                               "grade every shard with the same version"),
    (shard_record_without_limits, "lacks the sandbox's limits (settings.limits): it was changed after grading. "
                                  "Grade that shard again"),
])
def test_merge_refuses_a_shard_whose_record_does_not_hold_every_limit_of_its_sandbox(graded, tmp_path, edit,
                                                                                   message):
    edited = tmp_path / "shard-2"
    shutil.copytree(graded["shards"][2], edited)
    (edited / MANIFEST).write_text(json.dumps(edit(json.loads((edited / MANIFEST).read_text()))))
    completed = merge(graded["shards"][0], graded["shards"][1], edited, out=tmp_path / "merged")
    assert completed.returncode == 2
    assert f"merge refused: {edited / MANIFEST} " in completed.stderr and message in completed.stderr, \
        completed.stderr
    assert not (tmp_path / "merged").exists()


def test_merge_refuses_shards_graded_with_other_points(graded, tmp_path):
    edited = tmp_path / "shard-2"
    shutil.copytree(graded["shards"][2], edited)
    manifest = json.loads((edited / MANIFEST).read_text())
    manifest["settings"]["points"] = "0123456789abcdef"  # what a changed points.toml records
    (edited / MANIFEST).write_text(json.dumps(manifest))
    completed = merge(graded["shards"][0], graded["shards"][1], edited, out=tmp_path / "merged")
    assert completed.returncode == 2
    assert "points (autograder/points.toml (digests shown)): " in completed.stderr
    assert "0123456789abcdef in " + str(edited) in completed.stderr


@pytest.mark.parametrize("text, message", [
    ("3/3", "shards are numbered from 0 to 2, so 3 is out of range"),
    ("1/0", "the number of shards must be at least 1"),
    ("/", "--shard must be INDEX/COUNT"),
    ("1-3", "--shard must be INDEX/COUNT"),
])
def test_a_bad_shard_is_refused_with_exit_2_and_says_how_to_number_shards(tmp_path, capsys, text, message):
    (tmp_path / "submitted").mkdir()
    assert main(["grade", str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--shard", text]) == 2
    error = capsys.readouterr().err
    assert error.startswith("grading could not run: ") and message in error
    assert not (tmp_path / "out").exists()


def test_a_shard_refuses_a_gradebook_url_since_merge_writes_it(tmp_path, capsys):
    (tmp_path / "submitted").mkdir()
    assert main(["grade", str(tmp_path / "submitted"), "--out", str(tmp_path / "out"), "--shard", "0/2",
                 "--gradebook", "sqlite:///gradebook.db"]) == 2
    assert "shards leave the gradebook to `python -m autograder merge`" in capsys.readouterr().err


def test_shards_partition_a_sorted_batch_round_robin():
    batch = list("abcdefg")
    parts = [Shard(index, 3).select(batch) for index in range(3)]
    assert parts == [["a", "d", "g"], ["b", "e"], ["c", "f"]]
    assert Shard.parse(" 2 / 3 ") == Shard(2, 3)


def test_a_shard_with_no_students_writes_empty_grades_and_its_manifest(tmp_path):
    make_submission(tmp_path / "submitted", "alice", "stubs")
    result = grade_batch(tmp_path / "submitted", tmp_path / "out", shard=Shard(1, 2), progress=False)
    assert result.students == []
    assert (tmp_path / "out" / "grades.csv").read_text().splitlines() == [
        "student_id,test,score,max_score,status,message"]
    manifest = json.loads((tmp_path / "out" / MANIFEST).read_text())
    assert manifest["students"] == [] and manifest["batch"] == ["alice"]


# -- the cluster examples in autograder/deploy/ -------------------------------------------


@pytest.fixture
def recorder(tmp_path):
    """A stand-in ``python`` that records its arguments, so that a job script's command line can be checked."""
    folder = tmp_path / "bin"
    folder.mkdir()
    script = folder / "python"
    script.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                      "with open(os.environ['RECORD'], 'a') as f:\n    f.write(json.dumps(sys.argv[1:]) + '\\n')\n")
    script.chmod(0o755)
    return script


def run_script(command, recorder, cwd, **env):
    record = cwd / "argv.jsonl"
    record.unlink(missing_ok=True)
    environment = {"PATH": f"{recorder.parent}{os.pathsep}{os.environ['PATH']}", "RECORD": str(record),
                   "PYTHON": str(recorder), **env}
    completed = subprocess.run(command, cwd=cwd, env=environment, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    (argv,) = [json.loads(line) for line in record.read_text().splitlines()]
    assert argv[:2] == ["-m", "autograder"]
    return build_parser().parse_args(argv[2:])


def sbatch_options(path):
    return dict(line[len("#SBATCH "):].split("=", 1) for line in path.read_text().splitlines()
                if line.startswith("#SBATCH "))


def test_the_slurm_array_grades_task_i_as_shard_i_of_the_array_size_and_merges_every_shard(recorder, tmp_path):
    options = sbatch_options(DEPLOY / "slurm-grade.sbatch")
    first, last = map(int, options["--array"].split("-"))
    tasks = range(first, last + 1)
    assert first == 0 and len(tasks) == 10
    outs = []
    for task in tasks:
        args = run_script(["bash", DEPLOY / "slurm-grade.sbatch"], recorder, tmp_path, SLURM_ARRAY_TASK_ID=str(task),
                          SLURM_ARRAY_TASK_COUNT=str(len(tasks)), SLURM_CPUS_PER_TASK="2", AUTOGRADER_SECRET="s")
        assert (args.command, Shard.parse(args.shard), args.jobs) == ("grade", Shard(task, len(tasks)), 2)
        outs.append(Path(args.out))
        (tmp_path / args.out).mkdir(parents=True)
    # Rerunning task 3 alone: its array has one task, SHARDS keeps the split.
    args = run_script(["bash", DEPLOY / "slurm-grade.sbatch"], recorder, tmp_path, SLURM_ARRAY_TASK_ID="3",
                      SLURM_ARRAY_TASK_COUNT="1", SHARDS="10", AUTOGRADER_SECRET="s")
    assert Shard.parse(args.shard) == Shard(3, 10)
    merge_args = run_script(["bash", DEPLOY / "slurm-merge.sbatch"], recorder, tmp_path)
    assert merge_args.command == "merge" and sorted(map(Path, merge_args.shards)) == sorted(outs)
    assert Path(merge_args.out) not in outs and merge_args.gradebook == "auto"


def test_the_slurm_array_refuses_to_grade_without_the_course_secret(recorder, tmp_path):
    completed = subprocess.run(["bash", DEPLOY / "slurm-grade.sbatch"], cwd=tmp_path, capture_output=True, text=True,
                               env={"PATH": os.environ["PATH"], "PYTHON": str(recorder), "SLURM_ARRAY_TASK_ID": "0",
                                    "SLURM_ARRAY_TASK_COUNT": "10"})
    assert completed.returncode != 0 and "AUTOGRADER_SECRET: is not set" in completed.stderr


def job_container(path):
    (job,) = yaml.safe_load_all(path.read_text())
    assert job["apiVersion"] == "batch/v1" and job["kind"] == "Job"
    (container,) = job["spec"]["template"]["spec"]["containers"]
    return job, container


def test_the_kubernetes_indexed_job_grades_index_i_as_shard_i_of_its_completions(recorder, tmp_path):
    job, container = job_container(DEPLOY / "k8s-grade-job.yaml")
    assert job["spec"]["completionMode"] == "Indexed"
    completions = job["spec"]["completions"]
    env = {item["name"]: item for item in container["env"]}
    assert env["SHARDS"]["value"] == str(completions)
    assert env["AUTOGRADER_SECRET"]["valueFrom"]["secretKeyRef"]
    outs = []
    for index in range(completions):
        args = run_script(container["command"] + container["args"], recorder, tmp_path,
                          JOB_COMPLETION_INDEX=str(index), SHARDS=env["SHARDS"]["value"])
        assert (args.command, Shard.parse(args.shard)) == ("grade", Shard(index, completions))
        outs.append(Path(args.out))
        (tmp_path / args.out).mkdir(parents=True)
    assert len(set(outs)) == completions
    _, merger = job_container(DEPLOY / "k8s-merge-job.yaml")
    assert merger["workingDir"] == container["workingDir"]
    merge_args = run_script(merger["command"] + merger["args"], recorder, tmp_path)
    assert merge_args.command == "merge" and sorted(map(Path, merge_args.shards)) == sorted(outs)
    assert merge_args.gradebook == "auto"
    merge_args = run_script(merger["command"] + merger["args"], recorder, tmp_path,
                            GRADEBOOK_URL="postgresql://grader@db/course")
    assert merge_args.gradebook == "postgresql://grader@db/course"
