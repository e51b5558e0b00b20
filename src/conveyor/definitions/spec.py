"""The native pipeline format, declared once as data.

The same declaration drives two things that must never disagree: ``check.py`` (which walks a located tree and
reports every problem) and ``schema.py`` (the JSON Schema editors use to complete and underline the format).
To add a key to the format, add a ``Field`` here, then read it in ``native.py``.
"""

from __future__ import annotations

import re
from typing import Any

from conveyor.model.pipeline import (
    APPROVER_ROLES,
    DEPENDENCY_MODES,
    NOTIFIER_TYPES,
    NOTIFY_EVENTS,
    RESOURCE_TYPES,
)

NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
NAME_HINT = "use letters, digits, '_', '.' and '-', starting with a letter or digit"
ENV_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
ENV_HINT = "use letters, digits and '_', not starting with a digit"


# Plain slotted classes rather than dataclasses: these are built at import time, and dataclass creation
# (about 0.7 ms a class) is a visible share of the CLI's start-up budget.


class Kind:
    """The shape of a value.

    ``type`` is one of: ``str`` (a YAML string), ``text`` (any scalar, judged by its raw text), ``int``,
    ``bool``, ``duration``, ``map`` (string keys to scalars, kept as raw text), ``list`` (of ``item``) or
    ``record`` (the record named ``record``). ``noun`` names a list's items in the plural ("steps") for
    messages; a map's keys must match ``key_pattern``, ``key_noun`` names them and ``key_hint`` says how to
    write them. A list of strings may name the values its items may take in ``enum``.
    """

    __slots__ = (
        "enum",
        "item",
        "key_hint",
        "key_noun",
        "key_pattern",
        "maximum",
        "min_items",
        "minimum",
        "noun",
        "record",
        "type",
    )

    def __init__(
        self,
        type: str,
        *,
        item: Kind | None = None,
        record: str = "",
        noun: str = "",
        min_items: int = 0,
        minimum: int | None = None,
        maximum: int | None = None,
        key_pattern: str = "",
        key_noun: str = "key",
        key_hint: str = "",
        enum: tuple[str, ...] = (),
    ) -> None:
        self.type = type
        self.enum = enum
        self.item = item
        self.record = record
        self.noun = noun
        self.min_items = min_items
        self.minimum = minimum
        self.maximum = maximum
        self.key_pattern = key_pattern
        self.key_noun = key_noun
        self.key_hint = key_hint


class Field:
    """A key of a record. ``default`` is documentation only (the schema's ``default``): ``native.py`` applies
    defaults."""

    __slots__ = ("default", "description", "enum", "kind", "name", "pattern", "pattern_hint", "required")

    def __init__(
        self,
        name: str,
        kind: Kind,
        description: str,
        *,
        required: bool = False,
        enum: tuple[str, ...] = (),
        pattern: str = "",
        pattern_hint: str = "",
        default: Any = None,
    ) -> None:
        self.name = name
        self.kind = kind
        self.description = description
        self.required = required
        self.enum = enum
        self.pattern = pattern
        self.pattern_hint = pattern_hint
        self.default = default


class Record:
    """A mapping with known keys; any other key is an error.

    ``title`` is how messages name it ("unknown key 'x' in job"); with a ``shorthand``, a bare string stands
    for ``{shorthand: STRING}`` (steps, outputs); ``exactly_one`` lists keys of which exactly one must be
    present (an input names a resource or a job).
    """

    __slots__ = ("by_name", "description", "exactly_one", "fields", "name", "shorthand", "title")

    def __init__(
        self,
        name: str,
        title: str,
        description: str,
        fields: tuple[Field, ...],
        *,
        shorthand: str = "",
        exactly_one: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.title = title
        self.description = description
        self.fields = fields
        self.shorthand = shorthand
        self.exactly_one = exactly_one
        self.by_name = {f.name: f for f in fields}


STR = Kind("str")
DURATION = Kind("duration")
BOOL = Kind("bool")
ENV_MAP = Kind("map", key_pattern=ENV_PATTERN, key_noun="environment variable name", key_hint=ENV_HINT)
SCALAR_MAP = Kind("map")


def list_of(record: str, noun: str, min_items: int = 0) -> Kind:
    return Kind("list", item=Kind("record", record=record), noun=noun, min_items=min_items)


def strings(noun: str, enum: tuple[str, ...] = ()) -> Kind:
    return Kind("list", item=Kind("str", enum=enum), noun=noun)


STEP = Record(
    "step",
    "step",
    "One shell command, run with /bin/sh -ec in the run's work dir. A bare string is short for "
    "{run: STRING}.",
    (
        Field("run", STR, "The command (several lines allowed).", required=True),
        Field("name", STR, "A label for logs and the UI; defaults to the command's first line."),
        Field("env", ENV_MAP, "Environment variables for this step only (raw text values)."),
    ),
    shorthand="run",
)

INPUT = Record(
    "input",
    "input",
    "A resource or a job this job reads. Give exactly one of 'resource' and 'job'.",
    (
        Field("resource", STR, "The name of a resource to read."),
        Field("job", STR, "The name of a job that must succeed first; its run's outputs are readable."),
        Field(
            "trigger",
            BOOL,
            "Whether a new version starts this job. Defaults to true, except for 'state' resources (false): "
            "shared state never starts jobs.",
            default=True,
        ),
        Field(
            "switch",
            Kind("text"),
            "'off' means the input never starts the job (as 'trigger: false'); 'on' is the default.",
            enum=("on", "off", "true", "false"),
        ),
        Field(
            "passed",
            Kind("list", item=STR, noun="job names"),
            "For a resource: read the latest version that went through a successful run of each of these "
            "jobs (which must read it too); their success starts this job, not the resource's new versions.",
        ),
    ),
    exactly_one=("resource", "job"),
)

OUTPUT = Record(
    "output",
    "output",
    "A resource this job may write new versions of. A bare string is short for {resource: NAME}.",
    (
        Field("resource", STR, "The name of the resource.", required=True),
        Field(
            "overwrite",
            BOOL,
            "With the shippable runtime: the new version starts empty instead of from the latest's "
            "properties (Shippable's overwrite: true).",
        ),
    ),
    shorthand="resource",
)

RESOURCE = Record(
    "resource",
    "resource",
    "A named, typed, versioned object that jobs read and write.",
    (
        Field(
            "name",
            STR,
            "Unique among resources and jobs.",
            required=True,
            pattern=NAME_PATTERN,
            pattern_hint=NAME_HINT,
        ),
        Field("type", STR, "What kind of resource this is.", required=True, enum=RESOURCE_TYPES),
        Field(
            "properties",
            SCALAR_MAP,
            "Declared properties, kept as written (text). A 'params' resource's keys are exported to "
            "steps as environment variables, so they must be variable names.",
        ),
        Field(
            "source",
            SCALAR_MAP,
            "How the resource makes versions by itself. 'time': schedule (a cron expression, UTC) or "
            "every (a duration). 'git': repo (a path or URL), branch (default: the remote's HEAD) and "
            "check_every (a duration, default 1m).",
        ),
        Field("description", STR, "What the resource is for."),
    ),
)

APPROVAL = Record(
    "approval",
    "approval",
    "Each run waits in waiting_approval until someone allowed approves (or rejects) it. 'manual' is short "
    "for {mode: manual}: anyone with the operator role may.",
    (
        Field("mode", STR, "'manual' (the only mode; the default).", enum=("manual",)),
        Field(
            "approvers",
            strings("approvers"),
            "Token names or user names allowed to approve or reject; empty: anyone with the role.",
        ),
        Field("role", STR, "The least role an approver needs.", enum=APPROVER_ROLES, default="operator"),
        Field("timeout", DURATION, "Reject the run automatically when nobody decided within this, e.g. 24h."),
    ),
    shorthand="mode",
)

NOTIFIER = Record(
    "notifier",
    "notifier",
    "Where notifications go. Secret parts (a webhook's HMAC key 'secret', a Slack URL, SMTP 'username' and "
    "'password') come from the keys of the named integration (conveyor secret set), never from this file.",
    (
        Field(
            "name", STR, "Named by notify rules.", required=True, pattern=NAME_PATTERN, pattern_hint=NAME_HINT
        ),
        Field(
            "type",
            STR,
            "webhook: a signed JSON POST (X-Conveyor-Signature: sha256=HMAC of the body); slack: a "
            'Slack-style incoming webhook ({"text": ...}); email: a message over SMTP.',
            required=True,
            enum=NOTIFIER_TYPES,
        ),
        Field("url", STR, "The webhook's URL (or the integration's 'url' key)."),
        Field(
            "integration", STR, "An integration whose keys fill url, secret, smtp, username, password, from."
        ),
        Field("to", strings("addresses"), "Email: the recipients."),
        Field("smtp", STR, "Email: the SMTP server as host:port (default localhost:25)."),
        Field("from", STR, "Email: the sender address (default conveyor@HOST)."),
    ),
)

NOTIFY = Record(
    "notify",
    "notify rule",
    "Send run events to a notifier. A bare string is short for {notifier: NAME} (every event).",
    (
        Field("notifier", STR, "The name of a notifier of this pipeline.", required=True),
        Field("on", strings("events", NOTIFY_EVENTS), "Which events (default: all of them)."),
    ),
    shorthand="notifier",
)

JOB = Record(
    "job",
    "job",
    "A unit of work: steps run in order, reading inputs and writing outputs.",
    (
        Field(
            "name",
            STR,
            "Unique among jobs and resources.",
            required=True,
            pattern=NAME_PATTERN,
            pattern_hint=NAME_HINT,
        ),
        Field("description", STR, "What the job does."),
        Field("inputs", list_of("input", "inputs"), "Resources and jobs this job reads."),
        Field(
            "steps", list_of("step", "steps", min_items=1), "The commands to run, in order.", required=True
        ),
        Field("outputs", list_of("output", "outputs"), "Resources this job may write new versions of."),
        Field("timeout", DURATION, "Longest a run may take, e.g. 5m or 1h30m."),
        Field(
            "retries",
            Kind("int", minimum=0, maximum=100),
            "How many times a failed run is retried.",
            default=0,
        ),
        Field("retry_backoff", DURATION, "Delay before the first retry (doubled each time), e.g. 30s."),
        Field("on_success", list_of("step", "steps"), "Steps run after the job's steps all succeed."),
        Field("on_failure", list_of("step", "steps"), "Steps run after a step fails."),
        Field("always", list_of("step", "steps"), "Steps run after the job's steps, whatever happened."),
        Field(
            "approval",
            Kind("record", record="approval"),
            "'manual', or {approvers, role, timeout}: each run waits for someone allowed to approve it.",
        ),
        Field("env", ENV_MAP, "Environment variables for every step (raw text values)."),
        Field("runs_on", SCALAR_MAP, "Worker labels a worker must have to run this job."),
        Field(
            "dependency_mode",
            STR,
            "How the job waits for what is upstream: 'strict' (the default: once everything upstream has "
            "settled, one run for any number of triggers), 'chrono' (one run per trigger, in order, never "
            "beside a directly connected job), 'immediate' (as soon as an input changes).",
            enum=DEPENDENCY_MODES,
        ),
        Field(
            "max_in_flight",
            Kind("int", minimum=0, maximum=1000),
            "How many runs of the job may run at once; 0 means no limit.",
            default=1,
        ),
        Field("serial", BOOL, "true (the default): one run at a time; false: no limit (max_in_flight: 0)."),
        Field(
            "runtime",
            STR,
            "'shippable': steps get Shippable's job runtime ($JOB_STATE, $JOB_PREVIOUS_STATE, the IN/OUT "
            "layout and variables, shipctl on the PATH); outputs merge over their latest version.",
            enum=("shippable",),
        ),
        Field("notify", list_of("notify", "notify rules"), "Where this job's run events are sent."),
        Field(
            "secrets",
            strings("integration names"),
            "Integrations whose keys become environment variables of this job's steps; their values are "
            "masked as *** in logs.",
        ),
    ),
)

PIPELINE = Record(
    "pipeline",
    "pipeline",
    "A conveyor assembly line: resources and the jobs that read and write them.",
    (
        Field(
            "name",
            STR,
            "The pipeline's name; defaults to the file name without its extension.",
            pattern=NAME_PATTERN,
            pattern_hint=NAME_HINT,
        ),
        Field("description", STR, "What the pipeline is for."),
        Field("resources", list_of("resource", "resources"), "The resources jobs read and write."),
        Field("jobs", list_of("job", "jobs"), "The jobs."),
        Field("notifiers", list_of("notifier", "notifiers"), "Where notifications may go."),
        Field("notify", list_of("notify", "notify rules"), "Where every job's run events are sent."),
    ),
)

RECORDS: dict[str, Record] = {
    r.name: r for r in (PIPELINE, RESOURCE, JOB, INPUT, OUTPUT, STEP, APPROVAL, NOTIFIER, NOTIFY)
}

#: compiled once; the patterns above stay plain strings for the schema
COMPILED: dict[str, re.Pattern[str]] = {p: re.compile(p) for p in (NAME_PATTERN, ENV_PATTERN)}
