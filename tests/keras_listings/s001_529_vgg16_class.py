"""Seed 001, lines 529-566: the paper's VGG-16 as a Sequential subclass.

Fixed: the import line is the one of the seed's cell before it (lines 583-585); the model is built
for 224x224 ImageNet images.
"""
from tensorflow.keras.layers import Conv2D, MaxPooling2D, Flatten, Dense, Input  # noqa: F401
from tensorflow.keras.models import Model, Sequential  # noqa: F401

class VGG_16(Sequential):

  def __init__(self, input_shape, num_classes):
    super().__init__()

    # 1st Block(Input + Conv2D + Conv2D + MaxPooling)
    self.add(Conv2D(64, kernel_size=(3,3), activation='relu', padding='same', input_shape=input_shape))
    self.add(Conv2D(64, kernel_size=(3,3), activation='relu', padding='same'))
    self.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))

    # 2nd Block(Conv2D + Conv2D + MaxPooling)
    self.add(Conv2D(128, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(128, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))

    # 3rd Block(Conv2D + Conv2D +  Conv2D + MaxPooling)
    self.add(Conv2D(256, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(256, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(256, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))

    # 4th Block(Conv2D + Conv2D + Conv2D + MaxPooling)
    self.add(Conv2D(512, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(512, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(512, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))

    # 5th Block(Conv2D + Conv2D + Conv2D + MaxPooling)
    self.add(Conv2D(512, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(512, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(Conv2D(512, kernel_size=(3,3), padding='same', activation='relu'))
    self.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))

    # 6th Block(FC layer
    self.add(Flatten())
    self.add(Dense(4096, activation='relu'))
    self.add(Dense(4096, activation='relu'))
    self.add(Dense(num_classes, activation='softmax'))

model = VGG_16(input_shape=(224, 224, 3), num_classes=1000)
model.summary()
EXPECTED = {'model': '138,357,544'}
