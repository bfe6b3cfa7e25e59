"""What the reference systems serve: the registered model's name and the artifact variant.
Kept apart from `lifecycle` (torch, ONNX, MLflow and Feast on import) so that deploying and
stopping need none of them."""

SERVED_MODEL = "adult-income"
SERVED_VARIANT = "student_int8"
"""The variant registered and served: the statically quantised student."""
