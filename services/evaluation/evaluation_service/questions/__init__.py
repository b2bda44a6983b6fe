"""Pure-Python question core: the question shape, GIFT and Aiken import/export, grading."""
