from typing import Literal

FTClassifierLossFunction = Literal["multi_class", "single_class"]

FT_CLASSIFIER_LOSS_FUNCTION_VALUES: set[FTClassifierLossFunction] = {
    "multi_class",
    "single_class",
}


def check_ft_classifier_loss_function(value: str) -> FTClassifierLossFunction:
    if isinstance(value, str) and value in FT_CLASSIFIER_LOSS_FUNCTION_VALUES:
        return value
    raise TypeError(f"Unexpected value {value!r}. Expected one of multi_class, single_class")
