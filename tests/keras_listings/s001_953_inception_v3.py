"""Seed 001, lines 953-956: tf.keras.applications.InceptionV3().

Fixed: InceptionV3() loads ImageNet's weights by default (a download): weights=None.
"""
import tensorflow as tf

model = tf.keras.applications.InceptionV3(weights=None)
print(model.summary())
EXPECTED = {'model': '23,851,784'}
