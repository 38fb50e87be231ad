"""The Kubernetes Jobs of ``autograder/deploy/`` checked offline, as far as a cluster's API server would check them.

Two layers, since no cluster runs here:

- Kubernetes' own JSON schemas, as the ``kubernetes-validate`` package ships them (no network), strict:
  unknown fields, wrong types, missing required fields. Every Kubernetes version the package knows from
  :data:`OLDEST_KUBERNETES` on; older schemas want ``onPodConditions`` beside ``onExitCodes`` in a pod
  failure rule.
- The API server's rules for Jobs that the schemas cannot say (Kubernetes' ``pkg/apis/batch/validation``
  and the pod validation it calls), for the fields these manifests use: the accepted values of
  ``completionMode``, ``restartPolicy`` and pod failure rules (the schemas only say "string"), and the names
  one part of a Job must share with another.
"""

import re

import kubernetes_validate
import pytest
import yaml
from kubernetes_validate.utils import all_versions, major_minor
from packaging.version import Version

from support.submissions import REPO

DEPLOY = REPO / "autograder" / "deploy"
MANIFESTS = sorted(DEPLOY.glob("k8s-*.yaml"))
#: The oldest Kubernetes whose schema the manifests must pass (pod failure policies are on by default since 1.26).
OLDEST_KUBERNETES = "1.29"
VERSIONS = [version for version in dict.fromkeys(major_minor(v) for v in all_versions())
            if Version(version) >= Version(OLDEST_KUBERNETES)]
#: What the API server accepts where the schemas say "string".
COMPLETION_MODES = ("NonIndexed", "Indexed")
JOB_RESTART_POLICIES = ("OnFailure", "Never")
POD_FAILURE_ACTIONS = ("Count", "FailIndex", "FailJob", "Ignore")
EXIT_CODE_OPERATORS = ("In", "NotIn")
#: An RFC 1123 label: pod host names, container and volume names.
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")


def manifest_problems(text, version):
    """What a cluster of Kubernetes ``version`` would reject in the YAML ``text`` (empty when nothing)."""
    problems = []
    for document in yaml.safe_load_all(text):
        try:
            kubernetes_validate.validate(document, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            where = ".".join(map(str, error.absolute_path)) or "(top level)"
            problems.append(f"{where}: {error.message}")
        except kubernetes_validate.SchemaNotFoundError as error:
            problems.append(error.message)
        else:
            problems += api_server_problems(document)
    return problems


def api_server_problems(job):
    """The API server's Job rules that the schemas leave out, for a Job that passed its schema."""
    spec, pod = job["spec"], job["spec"]["template"]["spec"]
    problems = []

    def supported(where, value, values):
        if value not in values:
            problems.append(f"{where}: Unsupported value {value!r}: supported values: {', '.join(values)}")

    mode = spec.get("completionMode", "NonIndexed")
    supported("spec.completionMode", mode, COMPLETION_MODES)
    if mode == "Indexed":
        if spec.get("completions") is None:
            problems.append("spec.completions: Required value: when completion mode is Indexed")
        elif not DNS_LABEL.match(f"{job['metadata']['name']}-{spec['completions'] - 1}"):
            problems.append("metadata.name: the pod host names <name>-<index> would not be DNS labels")
    restart = pod.get("restartPolicy", "Always")
    supported("spec.template.spec.restartPolicy", restart, JOB_RESTART_POLICIES)
    containers = [container["name"] for container in pod["containers"] + pod.get("initContainers", [])]
    for name in containers:
        if not DNS_LABEL.match(name):
            problems.append(f"containers: {name!r} is not a DNS label")
    policy = spec.get("podFailurePolicy")
    if policy:
        if restart != "Never":
            problems.append("spec.template.spec.restartPolicy: only 'Never' is supported with podFailurePolicy")
        for index, rule in enumerate(policy["rules"]):
            where = f"spec.podFailurePolicy.rules.{index}"
            supported(f"{where}.action", rule["action"], POD_FAILURE_ACTIONS)
            if rule["action"] == "FailIndex" and "backoffLimitPerIndex" not in spec:
                problems.append(f"{where}.action: FailIndex requires spec.backoffLimitPerIndex")
            exit_codes = rule.get("onExitCodes")
            if exit_codes:
                supported(f"{where}.onExitCodes.operator", exit_codes["operator"], EXIT_CODE_OPERATORS)
                name = exit_codes.get("containerName")
                if name is not None and name not in containers:
                    problems.append(f"{where}.onExitCodes.containerName: {name!r} is not a container of the pod "
                                    f"({', '.join(containers)})")
    volumes = [volume["name"] for volume in pod.get("volumes", [])]
    for container in pod["containers"]:
        for mount in container.get("volumeMounts", []):
            if mount["name"] not in volumes:
                problems.append(f"containers.{container['name']}.volumeMounts: {mount['name']!r} is not a volume "
                                f"of the pod ({', '.join(volumes) or 'none'})")
    return problems


def test_the_schemas_come_with_the_package_for_the_versions_checked():
    assert len(VERSIONS) >= 5 and VERSIONS[0] == OLDEST_KUBERNETES, VERSIONS
    assert [path.name for path in MANIFESTS] == ["k8s-grade-job.yaml", "k8s-merge-job.yaml"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("manifest", MANIFESTS, ids=lambda path: path.name)
def test_the_kubernetes_manifests_are_jobs_the_api_server_accepts(manifest, version):
    assert manifest_problems(manifest.read_text(), version) == []


@pytest.mark.parametrize("manifest, change, problem", [
    ("k8s-grade-job.yaml", ("backoffLimit: 10", "backofLimit: 10"),
     "spec: Additional properties are not allowed ('backofLimit' was unexpected)"),
    ("k8s-grade-job.yaml", ("completions: 10 ", 'completions: "10" '),
     "spec.completions: '10' is not of type 'integer', 'null'"),
    ("k8s-grade-job.yaml", ("secretKeyRef: {name: autograder, key: secret}",
                            "secretKeyRef: {name: autograder, value: secret}"),
     "'key' is a required property"),
    ("k8s-merge-job.yaml", ("apiVersion: batch/v1", "apiVersion: v1"),
     "Couldn't find schema for kind Job with api version v1"),
    ("k8s-grade-job.yaml", ("completionMode: Indexed", "completionMode: indexed"),
     "spec.completionMode: Unsupported value 'indexed': supported values: NonIndexed, Indexed"),
    ("k8s-merge-job.yaml", ("restartPolicy: Never", "restartPolicy: Always"),
     "spec.template.spec.restartPolicy: Unsupported value 'Always'"),
    ("k8s-grade-job.yaml", ("containerName: grade,", "containerName: grader,"),
     "onExitCodes.containerName: 'grader' is not a container of the pod (grade)"),
    ("k8s-grade-job.yaml", ("action: FailJob", "action: Fail"),
     "rules.0.action: Unsupported value 'Fail'"),
    ("k8s-merge-job.yaml", ("- {name: course, mountPath: /course}", "- {name: courses, mountPath: /course}"),
     "volumeMounts: 'courses' is not a volume of the pod (course)"),
], ids=["misspelt field", "number as a string", "secret key missing", "wrong apiVersion",
        "lower-case completionMode", "restartPolicy Always", "failure rule for no container",
        "unknown failure action", "mount of no volume"])
def test_a_broken_copy_of_a_manifest_is_rejected_with_what_is_wrong(manifest, change, problem):
    text = (DEPLOY / manifest).read_text()
    old, new = change
    assert text.count(old) == 1, f"{manifest} no longer holds {old!r} once: update this case"
    problems = manifest_problems(text.replace(old, new), OLDEST_KUBERNETES)
    assert any(problem in found for found in problems), problems
