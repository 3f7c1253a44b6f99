"""Seed 000, lines 156-193 and 213-230: the custom VGG-16 for cats and dogs (224x224, two classes).

Fixed: the printed backslashes (`\\_` and line-joining `\\ `) are removed; `from keras preprocessing image
import` gets its dots; `model.add(Dropout(0.5)` its closing parenthesis. The data part (a local image
folder, fit_generator for 10 epochs) is left to test_keras.py's generator test.
"""
import keras
from keras.preprocessing.image import ImageDataGenerator  # noqa: F401
from keras.preprocessing.image import load_img  # noqa: F401
from keras.preprocessing.image import img_to_array  # noqa: F401
from keras import optimizers, initializers, regularizers, metrics  # noqa: F401
from keras.callbacks import ModelCheckpoint  # noqa: F401
import os  # noqa: F401
from glob import glob  # noqa: F401
import numpy as np  # noqa: F401
from numpy import expand_dims  # noqa: F401
from keras import models
from keras import layers  # noqa: F401
from tensorflow.python.keras.layers import Conv2D, MaxPooling2D, Flatten
from tensorflow.python.keras.layers import Dense, Dropout, Input  # noqa: F401
from tensorflow.python.keras.models import Model  # noqa: F401
from tensorflow.keras.layers import Input, Dense  # noqa: F811
model = models.Sequential()
model.add(Conv2D(input_shape=(224,224,3), filters=64, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
model.add(Conv2D(input_shape=(224,224,64),filters=64, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
#Max Pooling
model.add(MaxPooling2D(pool_size =(2,2), strides=(2,2)))
model.add(Conv2D(input_shape=(112,112,64),filters=128, kernel_size=(3,3), strides=(1,1), padding ='same', activation='relu'))
model. add (Conv2D (input_shape=(112,112,128), filters=128, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
#Max Pooling
model.add(MaxPooling2D(pool_size =(2,2), strides=(2,2)))
model.add(Conv2D(input_shape=(56, 56, 128), filters=256, kernel_size=(3, 3), strides=(1, 1), padding='same', activation='relu'))
#6층
model.add(Conv2D(input_shape=(56, 56, 256), filters=256, kernel_size=(3, 3), strides=(1, 1), padding='same', activation='relu'))
model.add(Conv2D(input_shape=(56,56,256), filters=256, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
#Max Pooling
model.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))
#8층
model.add(Conv2D(input_shape=(28,28,256), filters=512, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
model.add(Conv2D(input_shape=(28,28,512), filters=512, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
#10층
model.add(Conv2D(input_shape=(28,28,512), filters=512, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
#Max Pooling
model.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))
model.add(Conv2D(input_shape=(14,14,512), filters=512, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
#12층
model.add(Conv2D(input_shape=(14,14,512), filters=512, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
#13층
model.add(Conv2D(input_shape=(14,14,512), filters=512, kernel_size=(3,3), strides=(1,1), padding='same', activation='relu'))
#Max Pooling
model.add(MaxPooling2D(pool_size=(2,2), strides=(2,2)))
#14층 (fc1)
model.add(Flatten())
model.add(Dense(4096, activation='relu'))
#15층 (fc2)
model.add(Dense(4096, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(2048,activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(1024, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(512, activation='relu'))
model.add(Dropout(0.5))
model.add(Dense(2,activation='softmax'))
model.summary()
EXPECTED = {"model": "145,275,202"}
