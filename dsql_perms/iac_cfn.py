"""CloudFormation (and CDK-synthesized) templates: AWS::DSQL::Cluster resources become
CreateCluster calls in the stack's Region, with parameters, conditions and intrinsics
resolved. A reference to another cluster's `Arn` becomes that cluster's ARN with an unknown
id (a placeholder the checker treats as "one cluster we cannot name yet")."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from .arn import UNKNOWN_CLUSTER_ID, UNKNOWN_KEY_ID, partition_for_region
from .errors import DsqlPermsError, InputError, did_you_mean
from .iac import IacInput, SourcedCall
from .inputs import read_text

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any

CLUSTER_TYPE = "AWS::DSQL::Cluster"
_PROPERTIES = {
    "DeletionProtectionEnabled",
    "KmsEncryptionKey",
    "MultiRegionProperties",
    "Tags",
    "PolicyDocument",
}
_INTRINSICS = {
    "Ref",
    "Fn::Sub",
    "Fn::GetAtt",
    "Fn::If",
    "Fn::Join",
    "Fn::Select",
    "Fn::Split",
    "Fn::Equals",
    "Fn::And",
    "Fn::Or",
    "Fn::Not",
    "Fn::FindInMap",
    "Fn::Base64",
    "Fn::ImportValue",
    "Fn::GetAZs",
    "Fn::Cidr",
    "Condition",
    "Fn::ToJsonString",
    "Fn::Length",
}
_SHORT_TAGS = {
    "!Ref": "Ref",
    "!Sub": "Fn::Sub",
    "!GetAtt": "Fn::GetAtt",
    "!If": "Fn::If",
    "!Join": "Fn::Join",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!Equals": "Fn::Equals",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!Not": "Fn::Not",
    "!FindInMap": "Fn::FindInMap",
    "!Base64": "Fn::Base64",
    "!ImportValue": "Fn::ImportValue",
    "!GetAZs": "Fn::GetAZs",
    "!Cidr": "Fn::Cidr",
    "!Condition": "Condition",
    "!ToJsonString": "Fn::ToJsonString",
    "!Length": "Fn::Length",
}
NO_VALUE = object()


class Unknown:
    """A value CloudFormation only knows at deployment (an import, a resource's attribute)."""

    def __init__(self, what: str) -> None:
        self.what = what


def _load_yaml(text: str, source: str) -> tuple[Any, dict[str, int]]:
    import yaml

    lines: dict[str, int] = {}

    class Loader(yaml.SafeLoader):
        pass

    def construct(tag: str) -> Any:
        def build(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
            if isinstance(node, yaml.ScalarNode):
                value: Any = loader.construct_scalar(node)
                if tag == "!GetAtt" and isinstance(value, str):
                    value = value.split(".", 1)
            elif isinstance(node, yaml.SequenceNode):
                value = loader.construct_sequence(node, deep=True)
            else:
                assert isinstance(node, yaml.MappingNode)
                value = loader.construct_mapping(node, deep=True)
            return {_SHORT_TAGS[tag]: value}

        return build

    for tag in _SHORT_TAGS:
        Loader.add_constructor(tag, construct(tag))

    def unknown_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
        raise InputError(
            f"unknown intrinsic `!{suffix}`{did_you_mean('!' + suffix, _SHORT_TAGS)}",
            source=source,
            where=f"line {node.start_mark.line + 1}",
        )

    Loader.add_multi_constructor("!", unknown_tag)
    try:
        root = yaml.compose(text, Loader=Loader)
        if root is not None and isinstance(root, yaml.MappingNode):
            for key, value in root.value:
                if key.value == "Resources" and isinstance(value, yaml.MappingNode):
                    for name, _ in value.value:
                        lines[str(name.value)] = name.start_mark.line + 1
        data = yaml.load(text, Loader=Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1} column {mark.column + 1}" if mark else None
        raise InputError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}", source=source, where=where
        ) from exc
    return data, lines


def load_template(path: str) -> tuple[dict[str, Any], dict[str, int]]:
    """The template as data, and the line of each resource's logical id."""
    text = read_text(path)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        from .inputs import parse_json
        from .jsonpos import positions

        data = parse_json(text, path)
        lines = {
            k.split(".", 1)[1]: v[0]
            for k, v in positions(text).items()
            if k.startswith("Resources.") and k.count(".") == 1
        }
    else:
        data, lines = _load_yaml(text, path)
    if not isinstance(data, dict) or not isinstance(data.get("Resources"), dict):
        raise InputError(
            "not a CloudFormation template: no `Resources` object", source=path, where="$"
        )
    return data, lines


class _Resolver:
    def __init__(
        self,
        template: Mapping[str, Any],
        params: Mapping[str, Any],
        region: str,
        account: str,
        source: str,
    ) -> None:
        self.t = template
        self.region = region
        self.account = account
        self.partition = partition_for_region(region)
        self.source = source
        self.params = dict(params)
        self.conditions: dict[str, bool] = {}

    def fail(self, message: str, where: str) -> InputError:
        return InputError(message, source=self.source, where=where)

    def pseudo(self, name: str, where: str) -> Any:
        values = {
            "AWS::Region": self.region,
            "AWS::AccountId": self.account,
            "AWS::Partition": self.partition,
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::StackName": "stack",
            "AWS::NoValue": NO_VALUE,
        }
        if name in values:
            return values[name]
        if name in ("AWS::StackId", "AWS::NotificationARNs"):
            return Unknown(name)
        raise self.fail(f"unknown pseudo-parameter `{name}`", where)

    def ref(self, name: str, where: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name, where)
        if name in self.params:
            return self.params[name]
        resources = self.t.get("Resources", {})
        if name in resources:
            kind = resources[name].get("Type") if isinstance(resources[name], dict) else None
            if kind == CLUSTER_TYPE:
                return UNKNOWN_CLUSTER_ID  # Ref of a cluster is its identifier
            if kind == "AWS::KMS::Key":
                return UNKNOWN_KEY_ID
            return Unknown(f"Ref {name}")
        raise self.fail(f"`Ref` to `{name}`, which is neither a parameter nor a resource", where)

    def get_att(self, args: Any, where: str) -> Any:
        if isinstance(args, str):
            args = args.split(".", 1)
        if not isinstance(args, list) or len(args) != 2:
            raise self.fail("`Fn::GetAtt` takes [resource, attribute]", where)
        name, attribute = self.value(args[0], where), self.value(args[1], where)
        resource = self.t.get("Resources", {}).get(name)
        if not isinstance(resource, dict):
            raise self.fail(f"`Fn::GetAtt` of unknown resource `{name}`", where)
        region = self.region
        if resource.get("Type") == CLUSTER_TYPE:
            if attribute in ("Arn", "ResourceArn"):
                prefix = f"arn:{self.partition}:dsql:{region}:{self.account}"
                return f"{prefix}:cluster/{UNKNOWN_CLUSTER_ID}"
            if attribute == "Identifier":
                return UNKNOWN_CLUSTER_ID
        if resource.get("Type") == "AWS::KMS::Key" and attribute in ("Arn", "KeyId"):
            if attribute == "KeyId":
                return UNKNOWN_KEY_ID
            return f"arn:{self.partition}:kms:{region}:{self.account}:key/{UNKNOWN_KEY_ID}"
        return Unknown(f"{name}.{attribute}")

    def sub(self, args: Any, where: str) -> Any:
        text, variables = (
            (args, {}) if isinstance(args, str) else (args[0], args[1] if len(args) > 1 else {})
        )
        if not isinstance(text, str) or not isinstance(variables, dict):
            raise self.fail("`Fn::Sub` takes a string, or [string, {variables}]", where)
        unknown: list[str] = []

        def replace(m: re.Match[str]) -> str:
            name = m.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                value = self.value(variables[name], where)
            elif "." in name and not name.startswith("AWS::"):
                value = self.get_att(name.split(".", 1), where)
            else:
                value = self.ref(name, where)
            if isinstance(value, Unknown):
                unknown.append(value.what)
                return ""
            return str(value)

        result = re.sub(r"\$\{([^}]+)\}", replace, text)
        return Unknown(unknown[0]) if unknown else result

    def condition(self, name: str, where: str) -> bool:
        if name not in self.conditions:
            definition = self.t.get("Conditions", {}).get(name)
            if definition is None:
                raise self.fail(f"unknown condition `{name}`", where)
            result = self.value(definition, f"Conditions.{name}")
            if not isinstance(result, bool):
                raise self.fail(f"condition `{name}` is not true or false", where)
            self.conditions[name] = result
        return self.conditions[name]

    def function(self, name: str, args: Any, where: str) -> Any:
        if name == "Ref":
            return self.ref(args, where)
        if name == "Fn::GetAtt":
            return self.get_att(args, where)
        if name == "Fn::Sub":
            return self.sub(args, where)
        if name == "Condition":
            return self.condition(args, where)
        if name == "Fn::If":
            cond, yes, no = args
            return self.value(yes if self.condition(cond, where) else no, where)
        if name in ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not"):
            values = [self.value(a, where) for a in args]
            if any(isinstance(v, Unknown) for v in values):
                raise self.fail(f"`{name}` depends on a value known only at deployment", where)
            if name == "Fn::Equals":
                return str(values[0]) == str(values[1])
            if name == "Fn::And":
                return all(values)
            if name == "Fn::Or":
                return any(values)
            return not values[0]
        if name == "Fn::Join":
            sep, items = args
            values = [self.value(i, where) for i in self.value(items, where)]
            unknown = [v for v in values if isinstance(v, Unknown)]
            return (
                unknown[0]
                if unknown
                else str(sep).join(str(v) for v in values if v is not NO_VALUE)
            )
        if name == "Fn::Select":
            index, items = args
            return self.value(self.value(items, where)[int(self.value(index, where))], where)
        if name == "Fn::Split":
            sep, text = args
            value = self.value(text, where)
            return value if isinstance(value, Unknown) else str(value).split(sep)
        if name == "Fn::FindInMap":
            table, first, second = (self.value(a, where) for a in args[:3])
            try:
                return self.value(self.t["Mappings"][table][first][second], where)
            except (KeyError, TypeError) as exc:
                raise self.fail(
                    f"`Fn::FindInMap` finds no `{table}.{first}.{second}`", where
                ) from exc
        if name == "Fn::ToJsonString":
            return json.dumps(self.value(args, where))
        return Unknown(name)

    def value(self, node: Any, where: str) -> Any:
        if isinstance(node, dict):
            if len(node) == 1:
                ((key, args),) = node.items()
                if key in _INTRINSICS:
                    return self.function(key, args, where)
                if key.startswith("Fn::"):
                    raise self.fail(
                        f"unknown intrinsic `{key}`{did_you_mean(key, _INTRINSICS)}", where
                    )
            out = {k: self.value(v, f"{where}.{k}") for k, v in node.items()}
            return {k: v for k, v in out.items() if v is not NO_VALUE}
        if isinstance(node, list):
            items = [self.value(v, f"{where}[{i}]") for i, v in enumerate(node)]
            return [v for v in items if v is not NO_VALUE]
        return node


def _parameters(
    template: Mapping[str, Any], overrides: Mapping[str, str], source: str
) -> dict[str, Any]:
    declared = template.get("Parameters", {}) or {}
    unknown = [k for k in overrides if k not in declared]
    if unknown:
        raise InputError(
            f"`{unknown[0]}` is not a parameter of the template"
            + did_you_mean(unknown[0], declared),
            source="--parameter",
        )
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            value: Any = overrides[name]
        elif isinstance(spec, dict) and "Default" in spec:
            value = spec["Default"]
        else:
            raise InputError(
                f"parameter `{name}` has no default: give --parameter {name}=VALUE",
                source=source,
                where=f"Parameters.{name}",
            )
        kind = str(spec.get("Type", "")) if isinstance(spec, dict) else ""
        if kind.startswith("List<") or kind == "CommaDelimitedList":
            value = value if isinstance(value, list) else str(value).split(",")
        values[name] = value
    return values


def _known(value: Any, what: str, resolver: _Resolver, where: str) -> Any:
    if isinstance(value, Unknown):
        raise resolver.fail(f"{what} is known only at deployment (`{value.what}`)", where)
    return value


def _cluster_call(
    name: str,
    resource: Mapping[str, Any],
    resolver: _Resolver,
    lines: Mapping[str, int],
    path: str,
    region: str,
) -> SourcedCall | None:
    """The CreateCluster call of one AWS::DSQL::Cluster (None when its condition is false)."""
    where = f"Resources.{name}"
    if "Condition" in resource and not resolver.condition(resource["Condition"], where):
        return None
    props = resolver.value(resource.get("Properties", {}) or {}, f"{where}.Properties")
    if not isinstance(props, dict):
        raise InputError("Properties must be an object", source=path, where=f"{where}.Properties")
    extra = [k for k in props if k not in _PROPERTIES]
    if extra:
        raise InputError(
            f"unknown property `{extra[0]}`{did_you_mean(extra[0], _PROPERTIES)}",
            source=path,
            where=f"{where}.Properties",
        )
    params: dict[str, Any] = {}
    if "DeletionProtectionEnabled" in props:
        value = props["DeletionProtectionEnabled"]
        params["deletionProtectionEnabled"] = (
            value if isinstance(value, bool) else str(value).lower() == "true"
        )
    if "KmsEncryptionKey" in props:
        key = props["KmsEncryptionKey"]
        params["kmsEncryptionKey"] = UNKNOWN_KEY_ID if isinstance(key, Unknown) else str(key)
    if props.get("Tags"):
        tags = _known(props["Tags"], "Tags", resolver, where)
        params["tags"] = {
            str(_known(t["Key"], "a tag key", resolver, where)): str(
                _known(t["Value"], "a tag value", resolver, where)
            )
            for t in tags
        }
    mrp = props.get("MultiRegionProperties")
    if mrp:
        out: dict[str, Any] = {}
        if mrp.get("WitnessRegion"):
            out["witnessRegion"] = _known(mrp["WitnessRegion"], "WitnessRegion", resolver, where)
        if mrp.get("Clusters"):
            out["clusters"] = [
                str(_known(c, "a peer cluster ARN", resolver, where)) for c in mrp["Clusters"]
            ]
        params["multiRegionProperties"] = out
    if "PolicyDocument" in props:
        doc = props["PolicyDocument"]
        params["policy"] = doc if isinstance(doc, str) else json.dumps(doc)
    return SourcedCall("CreateCluster", region, params, name, path, lines.get(name))


def cloudformation_calls(
    path: str, *, region: str, account: str, overrides: Mapping[str, str] | None = None
) -> IacInput:
    """The DSQL calls a stack create would make, one per AWS::DSQL::Cluster."""
    template, lines = load_template(path)
    resolver = _Resolver(
        template, _parameters(template, overrides or {}, path), region, account, path
    )
    result = IacInput(account=account)
    for name, resource in template["Resources"].items():
        where = f"Resources.{name}"
        if not isinstance(resource, dict) or "Type" not in resource:
            raise InputError("a resource needs a `Type`", source=path, where=where)
        if resource["Type"] != CLUSTER_TYPE:
            result.ignored += 1
            continue
        try:
            call = _cluster_call(name, resource, resolver, lines, path, region)
        except DsqlPermsError:
            raise  # our own errors already name the place
        except (TypeError, AttributeError, KeyError, IndexError, ValueError) as exc:
            raise InputError(
                f"does not have the shape documented for `{CLUSTER_TYPE}`", source=path, where=where
            ) from exc
        if call is not None:
            result.calls.append(call)
    if result.ignored:
        plural = "s" if result.ignored != 1 else ""
        result.warnings.append(f"{path}: {result.ignored} resource{plural} of other types ignored")
    return result
