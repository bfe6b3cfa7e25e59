"""The model's lifecycle: the data and its feature schema, training and distillation, ONNX
export and INT8 quantisation, evaluation, the fairness gate, and the MLflow registry
that serves it."""
