"""The native format's located tree -> the frozen model (``Pipeline``), with locations filled in.

The builder runs even when ``check`` found problems, so that the graph checks can report theirs in the same
pass: it reads every value that has the right shape and skips or defaults the rest, never raising. It is
also where the format's meaning lives: step and output shorthands, the trigger defaults (a ``state`` resource
never triggers unless told to, as in Shippable) and ``switch: off``.
"""

from __future__ import annotations

from conveyor.definitions import durations
from conveyor.definitions.spec import COMPILED, NAME_HINT, NAME_PATTERN
from conveyor.definitions.validate import Where
from conveyor.definitions.yamlsrc import (
    BOOL,
    INT,
    STR,
    Map,
    Node,
    Scalar,
    Seq,
    bool_value,
    int_value,
    text_value,
)
from conveyor.errors import Problem
from conveyor.model.pipeline import (
    NOTIFY_EVENTS,
    Approval,
    Input,
    InputKind,
    Job,
    Location,
    Notifier,
    Notify,
    Pipeline,
    Resource,
    Step,
)

_SWITCH_OFF = ("off", "false")


def build(root: Node, file: str, default_name: str) -> tuple[Pipeline, Where, list[Problem]]:
    """The pipeline in ``root``, the locations the model cannot hold, and problems only the meaning shows."""
    return _Builder(file).pipeline(root, default_name)


class _Builder:
    def __init__(self, file: str) -> None:
        self.file = file
        self.where = Where()
        self.problems: list[Problem] = []
        self.resource_types: dict[str, str] = {}

    def loc(self, node: Node) -> Location:
        return Location(self.file, node.line, node.col)

    def pipeline(self, root: Node, default_name: str) -> tuple[Pipeline, Where, list[Problem]]:
        if not isinstance(root, Map):
            return Pipeline(name=default_name, source_file=self.file), self.where, self.problems
        name = _str(root, "name")
        if name is None and "name" not in root.entries and not COMPILED[NAME_PATTERN].match(default_name):
            self.problems.append(
                Problem(
                    self.file,
                    root.line,
                    root.col,
                    f"the pipeline has no 'name' and {default_name!r} (from the file name) cannot be one: "
                    f"{NAME_HINT}; add 'name: ...'",
                )
            )
        resources: list[Resource] = []
        for node in _items(root, "resources"):
            resource = self.resource(len(resources), node)
            if resource is not None:
                resources.append(resource)
        jobs: list[Job] = []
        for node in _items(root, "jobs"):
            job = self.job(len(jobs), node)
            if job is not None:
                jobs.append(job)
        notifiers = tuple(n for n in (self.notifier(x) for x in _items(root, "notifiers")) if n is not None)
        pipeline = Pipeline(
            name=name or default_name,
            resources=tuple(resources),
            jobs=tuple(jobs),
            source_file=self.file,
            notifiers=notifiers,
            notify=self.notify_rules(root),
        )
        self._check_notify(pipeline)
        return pipeline, self.where, self.problems

    def notifier(self, node: Node) -> Notifier | None:
        if not isinstance(node, Map):
            return None
        name, type_ = _str(node, "name"), _str(node, "type")
        if name is None or type_ is None:
            return None
        notifier = Notifier(
            name=name,
            type=type_,
            url=_str(node, "url") or "",
            integration=_str(node, "integration") or "",
            to=_strings(node, "to"),
            smtp=_str(node, "smtp") or "",
            sender=_str(node, "from") or "",
            location=self.loc(node),
        )
        if type_ == "email" and not notifier.to:
            self._problem(node, f"email notifier {name!r} needs 'to': a list of addresses")
        elif type_ in ("webhook", "slack") and not (notifier.url or notifier.integration):
            self._problem(node, f"{type_} notifier {name!r} needs a 'url' or an 'integration' holding one")
        return notifier

    def notify_rules(self, node: Map) -> tuple[Notify, ...]:
        rules = []
        for item in _items(node, "notify"):
            if isinstance(item, Scalar) and item.tag == STR:
                rules.append(Notify(item.value, location=self.loc(item)))
            elif isinstance(item, Map):
                target = _str(item, "notifier")
                if target is not None:
                    on = _strings(item, "on") if "on" in item.entries else NOTIFY_EVENTS
                    rules.append(Notify(target, on, location=self.loc(item)))
        return tuple(rules)

    def _check_notify(self, pipeline: Pipeline) -> None:
        known = {n.name for n in pipeline.notifiers}
        rules = [*pipeline.notify, *(r for j in pipeline.jobs for r in j.notify)]
        for rule in rules:
            if rule.notifier not in known:
                names = ", ".join(sorted(known)) or "none is defined"
                self.problems.append(
                    Problem(
                        self.file,
                        rule.location.line,
                        rule.location.col,
                        f"notify names {rule.notifier!r}, which is not a notifier of this pipeline ({names})",
                    )
                )

    def _problem(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.file, node.line, node.col, message))

    def approval(self, node: Map) -> Approval | None:
        entry = node.entries.get("approval")
        if entry is None:
            return None
        value = entry[1]
        if isinstance(value, Scalar):
            return Approval() if value.tag == STR and value.value == "manual" else None
        if not isinstance(value, Map):
            return None
        role = _str(value, "role")
        return Approval(
            approvers=_strings(value, "approvers"),
            role=role if role in ("viewer", "operator", "admin") else "operator",
            timeout=_duration(value, "timeout"),
        )

    def resource(self, index: int, node: Node) -> Resource | None:
        if not isinstance(node, Map):
            return None
        name = _str(node, "name")
        if name is None:
            return None
        rtype = _str(node, "type") or ""
        self.resource_types.setdefault(name, rtype)
        properties = self.text_map(node, "properties", index, self.where.properties)
        source = self.text_map(node, "source", index, self.where.source)
        return Resource(
            name=name,
            type=rtype,
            properties=tuple(sorted(properties)),
            source=tuple(sorted(source)),
            location=self.loc(node),
        )

    def text_map(
        self, node: Map, key: str, index: int, where: dict[tuple[int, str], Location]
    ) -> list[tuple[str, str]]:
        """A mapping of scalars as (key, text) pairs, each key's location noted in ``where``."""
        pairs = []
        entry = node.entries.get(key)
        if entry is not None and isinstance(entry[1], Map):
            for name, (key_node, value) in entry[1].entries.items():
                if isinstance(value, Scalar):
                    pairs.append((name, text_value(value)))
                    where[(index, name)] = self.loc(key_node)
        return pairs

    def job(self, index: int, node: Node) -> Job | None:
        if not isinstance(node, Map):
            return None
        name = _str(node, "name")
        if name is None:
            return None
        inputs = tuple(i for i in (self.input(n) for n in _items(node, "inputs")) if i is not None)
        outputs: list[str] = []
        overwrite: list[str] = []
        for item in _items(node, "outputs"):
            target = item if isinstance(item, Scalar) else _scalar(item, "resource")
            if target is not None and target.tag == STR:
                self.where.outputs[(index, len(outputs))] = self.loc(item)
                outputs.append(target.value)
                flag = _scalar(item, "overwrite") if isinstance(item, Map) else None
                if flag is not None and bool_value(flag):
                    overwrite.append(target.value)
        return Job(
            name=name,
            steps=_steps(node, "steps"),
            inputs=inputs,
            outputs=tuple(outputs),
            timeout=_duration(node, "timeout"),
            retries=_int(node, "retries") or 0,
            retry_backoff=_duration(node, "retry_backoff"),
            on_success=_steps(node, "on_success"),
            on_failure=_steps(node, "on_failure"),
            always=_steps(node, "always"),
            approval=self.approval(node),
            env=_pairs(node, "env"),
            runs_on=_pairs(node, "runs_on"),
            runtime=_str(node, "runtime") or "",
            dependency_mode=_str(node, "dependency_mode") or "strict",
            max_in_flight=_max_in_flight(node),
            overwrite=tuple(overwrite),
            notify=self.notify_rules(node),
            secrets=_strings(node, "secrets"),
            location=self.loc(node),
        )

    def input(self, node: Node) -> Input | None:
        if not isinstance(node, Map):
            return None
        resource, job = _str(node, "resource"), _str(node, "job")
        if (resource is None) == (job is None):
            return None  # check() reports both or neither
        kind: InputKind = "resource" if resource is not None else "job"
        name = resource if resource is not None else job
        assert name is not None
        trigger = _bool(node, "trigger")
        if trigger is None:
            trigger = not (kind == "resource" and self.resource_types.get(name) == "state")
        switch = _scalar(node, "switch")
        switch_off = switch is not None and switch.value in _SWITCH_OFF
        if switch_off:
            explicit = _scalar(node, "trigger")
            if trigger and explicit is not None:
                self.problems.append(
                    Problem(
                        self.file,
                        explicit.line,
                        explicit.col,
                        "'switch: off' means the input never triggers; drop 'trigger: true'",
                    )
                )
            trigger = False
        passed = tuple(
            item.value
            for item in _items(node, "passed")
            if isinstance(item, Scalar) and item.tag == STR and kind == "resource"
        )
        return Input(
            name=name,
            kind=kind,
            trigger=trigger,
            switch_off=switch_off,
            passed=passed,
            location=self.loc(node),
        )


def _max_in_flight(node: Map) -> int:
    given = _int(node, "max_in_flight")
    if given is not None:
        return given
    serial = _bool(node, "serial")
    return 0 if serial is False else 1


def _scalar(node: Node, key: str) -> Scalar | None:
    if not isinstance(node, Map):
        return None
    entry = node.entries.get(key)
    if entry is None or not isinstance(entry[1], Scalar):
        return None
    return entry[1]


def _str(node: Map, key: str) -> str | None:
    value = _scalar(node, key)
    return value.value if value is not None and value.tag == STR else None


def _bool(node: Map, key: str) -> bool | None:
    value = _scalar(node, key)
    return bool_value(value) if value is not None and value.tag == BOOL else None


def _int(node: Map, key: str) -> int | None:
    value = _scalar(node, key)
    if value is None or value.tag != INT:
        return None
    try:
        return int_value(value)
    except ValueError:
        return None


def _duration(node: Map, key: str) -> float | None:
    value = _scalar(node, key)
    if value is None:
        return None
    try:
        return durations.parse_duration(value.value)
    except ValueError:
        return None


def _strings(node: Map, key: str) -> tuple[str, ...]:
    return tuple(i.value for i in _items(node, key) if isinstance(i, Scalar) and i.tag == STR)


def _items(node: Map, key: str) -> list[Node]:
    entry = node.entries.get(key)
    return entry[1].items if entry is not None and isinstance(entry[1], Seq) else []


def _pairs(node: Node, key: str) -> tuple[tuple[str, str], ...]:
    """A scalar map as sorted (key, raw text) pairs, the order ``pipeline_from_dict`` gives."""
    if not isinstance(node, Map):
        return ()
    entry = node.entries.get(key)
    if entry is None or not isinstance(entry[1], Map):
        return ()
    return tuple(
        sorted((k, text_value(v)) for k, (_, v) in entry[1].entries.items() if isinstance(v, Scalar))
    )


def _steps(node: Map, key: str) -> tuple[Step, ...]:
    steps = []
    for item in _items(node, key):
        if isinstance(item, Scalar):
            if item.tag == STR:
                steps.append(Step(run=item.value))
        elif isinstance(item, Map):
            run = _str(item, "run")
            if run is not None:
                steps.append(Step(run=run, name=_str(item, "name") or "", env=_pairs(item, "env")))
    return tuple(steps)
