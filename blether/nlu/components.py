"""Custom Rasa 3.6 graph components: normalising tokenizer, substance extractor, safety net.

The lexicon and the safety patterns are read from the content folder when the model loads and
re-read when their files change, so editors add slang or patterns without retraining.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from blether.content import ContentLibrary
from blether.content.derived import Derived
from blether.lexicon import SubstanceLexicon
from blether.safety import SafetyNet, floor_rules
from blether.settings import Settings
from blether.text import normalise

SUBSTANCE_ENTITY = "substance"
SAFETY_NET_KEY = "safety_net"


def _library() -> ContentLibrary:
    return ContentLibrary(Settings.from_env().content_dir)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class NormalisingTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer that first folds look-alike and invisible characters."""

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        if attribute == TEXT and isinstance(message.get(TEXT), str):
            message.set(TEXT, normalise(message.get(TEXT)))
        return super().tokenize(message, attribute)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR], is_trainable=False)
class SubstanceExtractor(GraphComponent, EntityExtractorMixin):
    """Adds a `substance` entity for every substance `content/substances.yml` knows."""

    def __init__(self, library: ContentLibrary) -> None:
        self._lexicon = Derived(library.substances, SubstanceLexicon)

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SubstanceExtractor:
        return cls(_library())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        lexicon = self._lexicon.get()
        for message in messages:
            text = message.get(TEXT)
            if lexicon is None or not isinstance(text, str):
                continue
            found = [
                {
                    "entity": SUBSTANCE_ENTITY,
                    "value": m.name,
                    "start": m.start,
                    "end": m.end,
                    "confidence_entity": 0.8 if m.fuzzy else 1.0,
                    "additional_info": {
                        "class": m.substance_class,
                        "said": m.text,
                        "fuzzy": m.fuzzy,
                    },
                }
                for m in lexicon.find(text)
            ]
            found = self.add_extractor_name(found)
            message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
        return messages


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=False)
class SafetyNetClassifier(GraphComponent):
    """Forces the emergency or crisis intent when a safety pattern matches.

    It runs last, after the fallback classifier, so nothing can undo its decision; it only
    ever adds a safety intent, never removes one the classifier chose.
    """

    def __init__(self, library: ContentLibrary) -> None:
        self._net = Derived(library.safety, SafetyNet)
        self._floor = SafetyNet(floor_rules())

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyNetClassifier:
        return cls(_library())

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        net = self._net.get() or self._floor
        for message in messages:
            text = message.get(TEXT)
            match = net.check(text) if isinstance(text, str) else None
            if match is None:
                continue
            forced = {"name": match.topic, "confidence": 1.0}
            ranking = [forced] + [
                r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != match.topic
            ]
            message.set(INTENT, forced, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
            message.set(
                SAFETY_NET_KEY, {"topic": match.topic, "pattern": match.pattern}, add_to_output=True
            )
        return messages
