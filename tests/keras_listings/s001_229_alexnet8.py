"""Seed 001, lines 229-262: AlexNet8 for CIFAR-10 (32x32), built and summarized.

Fixed: the indentation; the model is instantiated as the seed's next cell does (lines 265-270).
Training (50 epochs on CIFAR-10) is not run here.
"""
import tensorflow as tf  # noqa: F401
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense, Input, BatchNormalization, Dropout  # noqa: F401
from tensorflow.keras.models import Model, Sequential  # noqa: F401

class AlexNet8(Sequential):

  def __init__(self, input_shape, num_classes):
    super().__init__()

    # 1st Block(Input + Conv2D + MaxPooling + Normalization)
    self.add(Conv2D(96, kernel_size=(3,3), activation='relu', padding='same', input_shape=input_shape))
    self.add(BatchNormalization())
    self.add(MaxPooling2D(pool_size=(3,3), strides=(2,2)))

    # 2nd Block(Input + Conv2D + MaxPooling + Normalization)
    self.add(Conv2D(256, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(BatchNormalization())
    self.add(MaxPooling2D(pool_size=(3,3), strides=(2,2)))

    # 3rd Block(Conv2D)
    self.add(Conv2D(384, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(384, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(256, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(MaxPooling2D(pool_size=(3,3), strides=(2,2)))

    # FC layer
    self.add(Flatten()) # 2D -> 1D vectors
    self.add(Dense(2048, activation='relu'))
    self.add(Dropout(0.5))
    self.add(Dense(2048, activation='relu'))
    self.add(Dropout(0.5))
    self.add(Dense(num_classes, activation='softmax'))

model = AlexNet8(input_shape=(32, 32, 3), num_classes=10)
model.summary()
EXPECTED = {"model": "12,260,618"}
