"""One measured fix to Rasa 3.6's own per-message work, installed when Rasa builds our store.

Rasa checks every action server response with `jsonschema.validate(result, schema)`, which
first validates the (constant) schema against JSON Schema's meta-schema and builds a new
validator: 15 % of the Rasa process's time under load (docs/performance.md). Here the schema
is checked once and its validator kept; a response that passes is accepted as before, and one
that does not is handed to Rasa's own check, so its error and message are exactly Rasa's.
"""

from __future__ import annotations

from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match

_INSTALLED = "_blether_cached_validator"


def install_cached_action_validation() -> None:
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction, _INSTALLED, False):
        return
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    rasa_check = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        if best_match(validator.iter_errors(result)) is None:
            return True
        return bool(rasa_check(self, result))

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    setattr(RemoteAction, _INSTALLED, True)
