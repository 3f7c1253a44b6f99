"""Seed 004, lines 95-159: a student's VGG with batch norm and he_normal at 224x224.

Fixed: The seminar prints no import lines: these are its notebooks' (tensorflow.keras modules as Layers, Models,
Optimizer, Utils). `SVG(model_to_dot(model).create(prog='dot', format='svg'))` is left out: it needs
Graphviz and IPython. Utils.plot_model draws model.png with matplotlib in minicnn.keras.
`Layers.Dense(softmax)` names an undefined variable: it is Dense(6, activation='softmax'), as the seed's
printed summary of this network shows (dense_4 (None, 6)). The student's own helpers
(DNNModel_to_GitModel, a plot_model with model_save_name) are left out.
"""
import tensorflow.keras.layers as Layers
import tensorflow.keras.models as Models
import tensorflow.keras.optimizers as Optimizer
import tensorflow.keras.utils as Utils

model = Models.Sequential()
model.add(Layers.Conv2D(64,kernel_size=(3,3),activation='relu',padding = 'same', input_shape=(224,224,3), kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(64,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
# (name_10_38_84)
model.add(Layers.Conv2D(128,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(128,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.MaxPooling2D(2))
model.add(Layers.BatchNormalization())
# (name_11_15_129)
model.add(Layers.Conv2D(256,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(256,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.MaxPooling2D(2))
model.add(Layers.BatchNormalization())
# (name_6_8_258)
model.add(Layers.Conv2D(512,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(512,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(512,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(512,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.MaxPooling2D(2))
model.add(Layers.BatchNormalization())
# (name_7_1_322)
model.add(Layers.Conv2D(512,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(512,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(512,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.BatchNormalization())
model.add(Layers.Conv2D(512,kernel_size=(3,3),activation='relu',padding = 'same', kernel_initializer='he_normal'))
model.add(Layers.MaxPooling2D(2))
model.add(Layers.BatchNormalization())
# (name_8_1_322)
model.add(Layers.Flatten())
# 312
model.add(Layers.Dense(4096, activation='relu'))
model.add(Layers.Dropout(rate=0.5))
model.add(Layers.Dense(4096, activation='relu'))
model.add(Layers.Dropout(rate=0.5))
model.add(Layers.Dense(1000, activation='relu'))
model.add(Layers.Dropout(rate=0.5))
model.add(Layers.Dense(1000, activation='relu'))
model.add(Layers.Dropout(rate=0.5))
model.add(Layers.Dense(6, activation='softmax'))
model.compile(optimizer=Optimizer.Adam(lr=0.0001), loss='sparse_categorical_crossentropy', metrics=['accuracy'])
model.summary()
EXPECTED = {}
