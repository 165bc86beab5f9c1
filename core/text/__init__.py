"""motionlex.core.text: captions as events (spaCy and connective rules), their orders and CAR's
shuffled-event captions, the side swap of words (mirroring), vocabulary words and spelling."""
