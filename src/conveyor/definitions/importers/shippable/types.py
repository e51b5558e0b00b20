"""Shippable's resource and job types (FACTS.md 1.3, 1.4; admiral ``system_codes.sql``) and what conveyor
makes of each.

A table rather than code, so that adding a type, or teaching conveyor to do what a type does, is one line:
each resource type maps onto one of conveyor's ``RESOURCE_TYPES`` with the gap left (what Shippable does that
conveyor does not, shown as a warning); each job type is runnable or not, with what it does on Shippable.
"""

from __future__ import annotations

_PUT = "give it versions with 'conveyor resource put {name} KEY=VALUE'"
_MANAGED = (
    "it is only read by Shippable-managed jobs (deploy, manifest, provision), which conveyor cannot run"
)

#: Shippable resource type -> (native type, what conveyor does not do that Shippable did; "" = nothing);
#: ``{name}`` stands for the resource's name.
RESOURCE_TYPES: dict[str, tuple[str, str]] = {
    "gitRepo": (
        "git",
        "conveyor polls it only when its sourceName is a path or URL; an org/repo name needs Shippable's "
        f"webhook ({_PUT})",
    ),
    "syncRepo": ("git", f"conveyor does not sync pipeline files from the repository ({_PUT})"),
    "ciRepo": ("git", f"it is created by Shippable CI, which conveyor does not run ({_PUT})"),
    "image": ("image", ""),
    "file": ("file", ""),
    "params": ("params", ""),
    "dockerOptions": ("generic", _MANAGED),
    "replicas": ("generic", _MANAGED),
    "cluster": ("generic", _MANAGED),
    "loadBalancer": ("generic", _MANAGED),
    "cliConfig": ("generic", "conveyor does not configure command-line tools from integrations"),
    "integration": ("generic", ""),
    "notification": ("generic", ""),
    "state": ("state", ""),
    "time": ("time", ""),
    "trigger": ("trigger", ""),
    "version": ("version", ""),
    "webhook": ("webhook", ""),
    "externalCIServer": ("generic", "conveyor does not post status to external CI servers"),
}

#: Types whose edits in YAML do not start jobs on Shippable (job/overview.md "When does a Job execute?").
NO_TRIGGER_ON_EDIT = frozenset(
    {"dockerOptions", "replicas", "cluster", "loadBalancer", "cliConfig", "integration", "notification"}
)

#: Job types conveyor runs: their TASK scripts become steps.
RUNNABLE_JOB_TYPES = frozenset({"runSh", "runCI"})

#: Every job type Shippable has -> what it does there (for the message when conveyor cannot run it).
JOB_TYPES: dict[str, str] = {
    "runSh": "runs shell scripts",
    "runCI": "runs the CI build of a repository",
    "manifest": "Shippable-managed: makes a service definition from images and settings",
    "deploy": "Shippable-managed: deploys a manifest or release to a cluster",
    "release": "Shippable-managed: stamps a semantic version on a set of manifests",
    "provision": "Shippable-managed: provisions load balancers",
    "externalCI": "its status is posted by an external CI server through Shippable's API",
    "rSync": "Shippable-internal: syncs pipeline files",
    "runCLI": "deprecated by Shippable (use runSh)",
    "jenkinsJob": "deprecated by Shippable: runs a Jenkins job",
    "ciJob": "Shippable-internal: a CI job",
    "kickStart": "Shippable-internal",
}

#: Keys only some job types take, kept as ``type_options``.
TYPE_OPTION_KEYS = ("method", "maxWaitTime", "stabilityDuration", "workflow", "bump", "versionData")

#: Top-level keys of the CI part of a shippable.yml (only the CI runner reads them).
CI_KEYS = frozenset(
    {
        "language",
        "build",
        "integrations",
        "env",
        "matrix",
        "branches",
        "services",
        "git",
        "cache",
        "addons",
        "before_install",
        "install",
        "before_script",
        "script",
        "after_success",
        "after_failure",
        "after_script",
        "notifications",
        "gemfile",
        "bundler_args",
        "jdk",
        "node_js",
        "python",
        "ruby",
        "go",
        "php",
        "scala",
        "clojure",
        "rvm",
    }
)


def native_resource_type(shippable_type: str) -> str:
    return RESOURCE_TYPES.get(shippable_type, ("generic", ""))[0]
