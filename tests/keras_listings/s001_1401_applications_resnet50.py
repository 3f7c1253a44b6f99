"""Seed 001, lines 1401-1411: tf.keras.applications.resnet50.ResNet50 (Keras's, with convolution biases).

Fixed: weights='imagenet' becomes weights=None (minicnn never downloads).
"""
import tensorflow as tf
Resnet50 = tf.keras.applications.resnet50.ResNet50(
    include_top=True,
    weights=None, # imagnet을 통해 사전학습시킨 가중치를 초기값으로 사용
    input_shape=None,
    input_tensor=None,
    pooling=None,
    classes=1000
)

print(Resnet50.summary())
EXPECTED = {'Resnet50': '25,636,712'}
