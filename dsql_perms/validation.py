"""Validate boto3 keyword arguments against the installed botocore DSQL model.

botocore's own ParamValidator checks names, types, required members and minimums; we add
the model's `pattern` and `max` constraints, which botocore leaves to the service.
botocore is imported here, lazily, so `import dsql_perms` stays light.
"""

from __future__ import annotations

import re
from functools import cache

from .errors import InvalidParameterError, UnknownOperationError, did_you_mean
from .validation_cache import cache_entry, is_known_valid, remember_valid

TYPE_CHECKING = False  # typing is not imported at run time: it costs start-up time
if TYPE_CHECKING:
    from typing import Any


@cache
def service_model() -> Any:
    import botocore.loaders
    import botocore.model

    loader = botocore.loaders.Loader()
    return botocore.model.ServiceModel(loader.load_service_model("dsql", "service-2"), "dsql")


def _one_line(report: str) -> str:
    lines = [line.strip() for line in report.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith("Invalid number of parameters")]
    return "; ".join(lines)


def _unknown_parameter_hint(message: str, shape: Any) -> str:
    found = re.search(r'Unknown parameter in (\S+): "([^"]+)"', message)
    if not found:
        return ""
    return did_you_mean(found.group(2), list(_members_at(shape, found.group(1))))


def _members_at(shape: Any, path: str) -> dict[str, Any]:
    for part in path.split(".")[1:]:
        name = part.split("[")[0]
        shape = shape.members.get(name, shape) if hasattr(shape, "members") else shape
        while getattr(shape, "type_name", "") in ("list", "map"):
            shape = shape.member if shape.type_name == "list" else shape.value
    return dict(getattr(shape, "members", {}))


def _check_constraints(value: Any, shape: Any, path: str, errors: list[str]) -> None:
    meta = shape.metadata
    kind = shape.type_name
    if kind == "string" and isinstance(value, str):
        pattern = meta.get("pattern")
        if pattern and not re.fullmatch(pattern, value):
            errors.append(f"{path}: `{value}` does not match the pattern `{pattern}`")
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: longer than {meta['max']} characters")
    elif kind == "structure" and isinstance(value, dict):
        for name, member in shape.members.items():
            if name in value:
                _check_constraints(value[name], member, f"{path}.{name}", errors)
    elif kind == "list" and isinstance(value, list):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: more than {meta['max']} items")
        for i, item in enumerate(value):
            _check_constraints(item, shape.member, f"{path}[{i}]", errors)
    elif kind == "map" and isinstance(value, dict):
        if "max" in meta and len(value) > meta["max"]:
            errors.append(f"{path}: more than {meta['max']} entries")
        for key, item in value.items():
            _check_constraints(key, shape.key, f"{path} key", errors)
            _check_constraints(item, shape.value, f"{path}.{key}", errors)


def validate_params(operation: str, params: dict[str, Any], *, source: str) -> None:
    """Raise InvalidParameterError (one line, with the place) unless `params` is valid.

    Parameters botocore accepted before (same model, same botocore) are not validated again;
    see validation_cache.
    """
    entry = cache_entry(operation, params)
    if entry is not None and is_known_valid(entry):
        return
    import botocore.validate

    model = service_model()
    if operation not in model.operation_names:
        raise UnknownOperationError(
            f"`{operation}` is not in the installed botocore DSQL model"
            f"{did_you_mean(operation, model.operation_names)}",
            source=source,
        )
    shape = model.operation_model(operation).input_shape
    report = botocore.validate.ParamValidator().validate(params, shape)
    if report.has_errors():
        message = _one_line(report.generate_report())
        raise InvalidParameterError(
            message + _unknown_parameter_hint(message, shape), source=source
        )
    errors: list[str] = []
    for name, member in shape.members.items():
        if name in params:
            _check_constraints(params[name], member, name, errors)
    if errors:
        place, _, message = errors[0].partition(": ")
        raise InvalidParameterError(message, source=source, where=place)
    if entry is not None:
        remember_valid(entry)
