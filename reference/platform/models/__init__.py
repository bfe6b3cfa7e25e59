"""Model lifecycle: architectures, training and distillation, ONNX export, quantisation."""
