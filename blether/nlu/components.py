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
from rasa.shared.constants import INTENT_MESSAGE_PREFIX as INTENT_PREFIX
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from blether.content import ContentLibrary
from blether.content.derived import Derived
from blether.danger import DANGER_MODEL, DangerModelSource, DangerReading
from blether.lexicon import SubstanceLexicon
from blether.safety import PRIORITY, Doubt, SafetyNet, SafetyNetSource
from blether.safety_check import SAFETY_DOUBTED_KEY, SAFETY_NET_KEY
from blether.settings import Settings

SUBSTANCE_ENTITY = "substance"
# Set when the classifier's own safety guess gave way to the rules' reading of the message.
SAFETY_GAVE_WAY_KEY = "safety_gave_way"
# Below this the danger model all but rules danger out: a topic classifier's safety guess that
# was unsure anyway (below BLETHER_SAFETY_CHECK_BELOW) then gives way. On the repo's files and
# five new sets (about 460 danger messages) no message the topic classifier caught fell below
# 0.4 with the danger model; 0.3 gives way on a few look-alikes ("going to bed, might not be
# on till the afternoon") and leaves room.
QUIET_BELOW = 0.3


def _library() -> ContentLibrary:
    return ContentLibrary(Settings.from_env().content_dir)


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=False)
class NormalisingTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer that first runs the one normaliser (content/language.yml).

    Everything after it in the pipeline (the substance lexicon, the featurisers, the safety
    net) reads the normalised text, in training and when answering alike.
    """

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__(config)
        self._source = SafetyNetSource(_library())

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(TEXT)
        # An intent payload from a button ('/using_alone{"checkin": "start"}') is left as it
        # is: Rasa's RegexMessageHandler, at the end of the graph, reads its intent and
        # entities from the exact text, and normalising would break its JSON.
        if attribute == TEXT and isinstance(text, str) and not text.startswith(INTENT_PREFIX):
            message.set(TEXT, self._source.normaliser()(text))
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
    """Forces the emergency or crisis intent when a safety rule matches.

    It runs last, after the fallback classifier, so nothing can undo its decision. A rule match
    always stands. Where no rule matched:
    - the topic classifier's own safety guess gives way to its best other topic if the rules
      read the message as harmless talk of danger (an idiom, a denial); if they only doubt it
      (a past event, a hypothetical or a question in every clause with danger words, or no
      danger word at all) it stands as a question to the person: plans are said indirectly;
    - a message the topic classifier took as harmless is asked about when the danger model
      (blether/danger.py) reads danger above BLETHER_DANGER_ABOVE.
    """

    def __init__(
        self,
        library: ContentLibrary,
        fallback_threshold: float = 0.3,
        danger: DangerModelSource | None = None,
        danger_above: float = 1.0,
        check_below: float = 0.9,
    ) -> None:
        self._source = SafetyNetSource(library)
        self._check_below = check_below
        self._fallback_threshold = fallback_threshold
        self._danger = danger
        self._danger_above = danger_above

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        # The FallbackClassifier's threshold in config.yml: a second guess below it is not
        # an answer, and the message goes to the menu as any unclear message does.
        return {"fallback_threshold": 0.3}

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> SafetyNetClassifier:
        settings = Settings.from_env()
        danger = DangerModelSource(settings.danger_model_path)
        danger.get()  # loaded with the model, not on the first message (logged if missing)
        return cls(
            ContentLibrary(settings.content_dir),
            float(config.get("fallback_threshold", 0.3)),
            danger,
            settings.danger_above,
            settings.safety_check_below,
        )

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def _give_way(self, message: Message, guessed: dict[str, Any]) -> None:
        others = [r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") not in PRIORITY]
        best = others[0] if others else None
        if best is not None and float(best.get("confidence", 0)) >= self._fallback_threshold:
            intent = {"name": best["name"], "confidence": best["confidence"]}
        else:
            intent = {"name": "nlu_fallback", "confidence": guessed.get("confidence", 0.0)}
        message.set(INTENT, intent, add_to_output=True)
        message.set(SAFETY_GAVE_WAY_KEY, {"topic": guessed.get("name")}, add_to_output=True)

    def _read(self, net: SafetyNet, text: str) -> DangerReading | None:
        model = self._danger.get() if self._danger is not None else None
        return model.read(net.for_danger_model(text)) if model is not None else None

    def _classifier_guess(self, message: Message, net: SafetyNet, text: str, topic: str) -> None:
        """The topic classifier's own safety guess, weighed by the rules and the danger model.

        Where the rules see nothing against it but the danger model does not agree, it is
        asked about rather than carded; it gives way when an idiom explains it ("leaving the
        group now, take care all") or when the danger model all but rules danger out and the
        guess was unsure anyway ("im still sleepy now at 11, is that normal").
        """
        doubt = net.doubt(text, topic)
        if doubt is not Doubt.HARMLESS:
            reading = self._read(net, text)
            if reading is not None and reading.probability < self._danger_above:
                confidence = float((message.get(INTENT) or {}).get("confidence") or 0.0)
                unsure = reading.probability < QUIET_BELOW and confidence < self._check_below
                harmless = net.has_idiom(text) or unsure
                doubt = Doubt.HARMLESS if harmless else Doubt.UNSURE
        self._doubt(message, topic, doubt)

    def _doubt(self, message: Message, topic: str, doubt: Doubt | None) -> None:
        if doubt is Doubt.HARMLESS:
            self._give_way(message, message.get(INTENT) or {})
        elif doubt is Doubt.UNSURE:
            # The guess stands, but as a question ("is someone in danger right now?"),
            # never the card: blether.safety_check reads this key.
            message.set(SAFETY_DOUBTED_KEY, {"topic": topic}, add_to_output=True)

    def _danger_model_guess(self, message: Message, net: SafetyNet, text: str) -> None:
        """The danger model's reading of a message the topic classifier took as harmless.

        Above the threshold, the message is asked about ("is someone in danger right now?"),
        never given the card on this alone; No answers the topic classifier's own reading.
        """
        reading = self._read(net, text)
        if reading is None or reading.probability < self._danger_above:
            return
        if net.doubt(text, reading.topic) is Doubt.HARMLESS:
            return  # an idiom or a denial: the rules know these better
        guessed = {"name": reading.topic, "confidence": round(reading.probability, 4)}
        ranking = [guessed] + [
            r for r in message.get(INTENT_RANKING_KEY, []) if r.get("name") != reading.topic
        ]
        message.set(INTENT, guessed, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        message.set(
            SAFETY_DOUBTED_KEY, {"topic": reading.topic, "by": DANGER_MODEL}, add_to_output=True
        )

    def process(self, messages: list[Message]) -> list[Message]:
        net = self._source.get()
        for message in messages:
            text = message.get(TEXT)
            if not isinstance(text, str) or text.startswith(INTENT_PREFIX):
                continue  # a button's payload: Rasa reads its intent from the text itself
            # The tokenizer has normalised TEXT already: the normaliser runs once per message.
            match = net.check_normalised(text)
            if match is None:
                topic = (message.get(INTENT) or {}).get("name")
                if topic in PRIORITY:
                    self._classifier_guess(message, net, text, topic)
                else:
                    self._danger_model_guess(message, net, text)
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
