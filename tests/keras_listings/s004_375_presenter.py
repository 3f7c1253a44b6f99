"""Seed 004, lines 375-407: the presenter's network (batch norm, he_normal, global average pooling, dropout 0.8).

Fixed: The seminar prints no import lines: these are its notebooks' (tensorflow.keras modules as Layers, Models,
Optimizer, Utils). `SVG(model_to_dot(model).create(prog='dot', format='svg'))` is left out: it needs
Graphviz and IPython. Utils.plot_model draws model.png with matplotlib in minicnn.keras.
"""
import tensorflow.keras.layers as Layers
import tensorflow.keras.models as Models
import tensorflow.keras.optimizers as Optimizer
import tensorflow.keras.utils as Utils

model = Models.Sequential()
model.add(Layers.Conv2D(32, kernel_size=(3, 3), activation='relu', padding='same', input_shape=(150, 150, 3), kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(32, kernel_size=(3, 3), padding='same', activation='relu', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.MaxPool2D(3, 3))
model.add(Layers.Conv2D(64, kernel_size=(3, 3), padding='same', activation='relu', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(64, kernel_size=(3, 3), padding='same', activation='relu', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(64, kernel_size=(3, 3), padding='same', activation='relu', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.MaxPool2D(3, 3))
model.add(Layers.Conv2D(128, kernel_size=(3, 3), padding='same', activation='relu', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(128, kernel_size=(3, 3), padding='same', activation='relu', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(128, kernel_size=(3, 3), padding='same', activation='relu', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.MaxPool2D(3, 3))
model.add(Layers.GlobalAveragePooling2D())
model.add(Layers.Dense(200, activation='relu', kernel_initializer='he_normal'))
model.add(Layers.Dropout(rate=0.8))
model.add(Layers.Dense(6, activation='softmax'))
model.compile(optimizer=Optimizer.Adam(lr=0.0005), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
EXPECTED = {'model': '501,086', 'model trainable': '499,806'}
