"""Seed 001, lines 195-224: AlexNet as printed (227x227, no output layer).

Fixed: `def __init__(self, input_shape=(227,227,3), num_classes)` puts a parameter without a default
after one with it (a SyntaxError in any Python): num_classes gets a default of 1000. Three
`self.add(MaxPooling2D(pool_size=(3,3)), strides=(2,2))` pass strides to add() instead of to the layer
(a TypeError in Keras too): the parenthesis moves. The model is built and summarized.
"""
import tensorflow as tf  # noqa: F401
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense, Input, BatchNormalization, Dropout  # noqa: F401
from tensorflow.keras.models import Model, Sequential  # noqa: F401

class AlexNet(Sequential):

  def __init__(self, input_shape=(227,227,3), num_classes=1000):
    super().__init__()

    # 1st Block(Input + Conv2D + MaxPooling + Normalization)
    self.add(Conv2D(96, kernel_size=(11,11), strides=4, activation='relu', input_shape=input_shape))
    self.add(MaxPooling2D(pool_size=(3,3), strides=(2,2)))
    self.add(BatchNormalization())

    # 2nd Block(Input + Conv2D + MaxPooling + Normalization)
    self.add(Conv2D(256, kernel_size=(5,5), strides=(1,1), padding='same', activation='relu'))
    self.add(MaxPooling2D(pool_size=(3,3), strides=(2,2)))
    self.add(BatchNormalization())

    # 3rd Block(Conv2D)
    self.add(Conv2D(384, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
    self.add(Conv2D(384, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
    self.add(Conv2D(256, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
    self.add(MaxPooling2D(pool_size=(3,3), strides=(2,2)))

    # FC layer
    self.add(Flatten()) # 2D -> 1D vectors
    self.add(Dense(4096, activation='relu'))
    self.add(Dropout(0.5))
    self.add(Dense(4096, activation='relu'))

model = AlexNet()
model.summary()
EXPECTED = {}
