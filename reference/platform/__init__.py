"""The platform library shared by every reference architecture.

Data and feature schema, the Feast feature repository, training, distillation,
quantisation, evaluation and the MLflow registry with its approval rules.
"""
