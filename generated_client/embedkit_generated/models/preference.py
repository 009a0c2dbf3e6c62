from typing import Literal

Preference = Literal["balanced", "cost", "speed"]

PREFERENCE_VALUES: set[Preference] = {
    "balanced",
    "cost",
    "speed",
}


def check_preference(value: str) -> Preference:
    if isinstance(value, str) and value in PREFERENCE_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of balanced, cost, speed")
