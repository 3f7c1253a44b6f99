"""Seed 001, lines 583-634: cifar10_VGG16 (batch norm, dropout), built for CIFAR-10 and summarized.

Fixed: nothing but the indentation. Its training (20 epochs on CIFAR-10) is not run here.
"""
import tensorflow as tf
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense, Input, BatchNormalization, Dropout
from tensorflow.keras.models import Model, Sequential

class cifar10_VGG16(Sequential):

  def __init__(self, input_shape, num_classes):
    super().__init__()

    # 1st Block(Input + Conv2D + Conv2D + MaxPooling)
    self.add(Conv2D(64, kernel_size=(3,3), activation='relu', padding='same', input_shape=input_shape))
    self.add(Conv2D(64, kernel_size=(3,3), activation='relu', padding='same'))
    self.add(BatchNormalization())
    self.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))
    self.add(Dropout(0.4))

    # 2nd Block(Conv2D + Conv2D + MaxPooling)
    self.add(Conv2D(128, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(128, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(BatchNormalization())
    self.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))
    self.add(Dropout(0.4))

    # 3rd Block(Conv2D + Conv2D + MaxPooling)
    self.add(Conv2D(256, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(256, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))
    self.add(BatchNormalization())
    self.add(Dropout(0.5))

    # 6th Block(FC layer
    self.add(Flatten())
    self.add(Dense(256, activation='relu'))
    self.add(Dropout(0.5))
    self.add(Dense(256, activation='relu'))
    self.add(Dropout(0.5))
    self.add(Dense(num_classes, activation='softmax'))


# cifar-10 info
img_height = 32
img_width = 32
img_channels = 3
input_shape = (img_height, img_width, img_channels)
num_classes = 10

# Build model
model = cifar10_VGG16(input_shape=input_shape, num_classes=num_classes)

# Print model Info
print(model.summary())
EXPECTED = {'model': '2,264,394'}
