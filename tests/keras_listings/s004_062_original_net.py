"""Seed 004, lines 62-83: the original code it is compared with.

Fixed: The seminar prints no import lines: these are its notebooks' (tensorflow.keras modules as Layers, Models,
Optimizer, Utils). `SVG(model_to_dot(model).create(prog='dot', format='svg'))` is left out: it needs
Graphviz and IPython. Utils.plot_model draws model.png with matplotlib in minicnn.keras.
"""
import tensorflow.keras.layers as Layers
import tensorflow.keras.models as Models
import tensorflow.keras.optimizers as Optimizer
import tensorflow.keras.utils as Utils

model = Models.Sequential()
model.add(Layers.Conv2D(200, kernel_size=(3,3), activation='relu', input_shape=(150, 150, 3)))
model.add(Layers.Conv2D(180, kernel_size=(3,3), activation='relu'))
model.add(Layers.MaxPool2D(5,5))
model.add(Layers.Conv2D(180, kernel_size=(3,3), activation='relu'))
model.add(Layers.Conv2D(140, kernel_size=(3,3), activation='relu'))
model.add(Layers.Conv2D(100, kernel_size=(3,3), activation='relu'))
model.add(Layers.Conv2D(50, kernel_size=(3,3), activation='relu'))
model.add(Layers.MaxPool2D(5,5))
model.add(Layers.Flatten())
model.add(Layers.Dense(180, activation='relu'))
model.add(Layers.Dense(100, activation='relu'))
model.add(Layers.Dense(50, activation='relu'))
model.add(Layers.Dropout(rate=0.5))
model.add(Layers.Dense(6, activation='softmax'))
model.compile(optimizer=Optimizer.Adam(lr=0.0001), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.summary()
Utils.plot_model(model, to_file='model.png', show_shapes=True)
EXPECTED = {}
