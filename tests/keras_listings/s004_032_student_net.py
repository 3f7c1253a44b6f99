"""Seed 004, lines 32-53: a student's network for the 6-class 150x150 image task.

Fixed: The seminar prints no import lines: these are its notebooks' (tensorflow.keras modules as Layers, Models,
Optimizer, Utils). `SVG(model_to_dot(model).create(prog='dot', format='svg'))` is left out: it needs
Graphviz and IPython. Utils.plot_model draws model.png with matplotlib in minicnn.keras.
"""
import tensorflow.keras.layers as Layers
import tensorflow.keras.models as Models
import tensorflow.keras.optimizers as Optimizer
import tensorflow.keras.utils as Utils

model = Models.Sequential()
model.add(Layers.Conv2D(300, kernel_size=(3,3), activation='relu', input_shape=(150, 150, 3)))
model.add(Layers.Conv2D(300, kernel_size=(3,3), activation='relu'))
model.add(Layers.MaxPool2D(4,4))
model.add(Layers.Conv2D(256, kernel_size=(3,3), activation='relu'))
model.add(Layers.Conv2D(240, kernel_size=(3,3), activation='relu'))
model.add(Layers.Conv2D(128, kernel_size=(3,3), activation='relu'))
model.add(Layers.Conv2D(64, kernel_size=(3,3), activation='relu'))
model.add(Layers.MaxPool2D(4,4))
model.add(Layers.Flatten())
model.add(Layers.Dense(256, activation='relu'))
model.add(Layers.Dense(128, activation='relu'))
model.add(Layers.Dense(64, activation='relu'))
model.add(Layers.Dropout(rate=0.5))
model.add(Layers.Dense(6, activation='softmax'))
model.compile(optimizer=Optimizer.Adam(lr=0.0001), loss='sparse_categorical_crossentropy')
model.summary()
Utils.plot_model(model, to_file='model.png', show_shapes=True)
EXPECTED = {}
