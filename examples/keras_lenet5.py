"""Seed 001's LeNet-5 listing (lines 18-43, 47-58, 94-117, 126-148), as the seed prints it, on minicnn.keras.

Changed from the listing: the import lines (tensorflow.keras -> minicnn.keras), the page damage of
the printed code (its indentation), and one line: the number of epochs may be given on the command
line (the seed trains 20; `python examples/keras_lenet5.py 1` trains one). The plot is saved to
keras_lenet5_predictions.png instead of shown.
"""
import sys

import matplotlib
matplotlib.use("Agg")

from minicnn.keras.layers import Conv2D, AveragePooling2D, Flatten, Dense, Input  # noqa: E402,F401
from minicnn.keras.models import Model, Sequential  # noqa: E402,F401


class LeNet5(Sequential):

    def __init__(self, input_shape, num_classes):
        super().__init__()

        # 1st Block(Input + Conv2D + Avg_pooling)
        self.add(Conv2D(6, kernel_size=(5, 5), strides=(1, 1), padding='same',
                        activation='relu',
                        input_shape=input_shape))
        self.add(AveragePooling2D(pool_size=(2, 2)))

        # 2nd Block(Conv2D + Avg_pooling)
        self.add(Conv2D(16, kernel_size=(5, 5), strides=(1, 1), padding='same',
                        activation='relu',
                        input_shape=input_shape))
        self.add(AveragePooling2D(pool_size=(2, 2)))

        # FC layer
        self.add(Flatten())  # 2D -> 1D vectors
        self.add(Dense(120, activation='relu'))
        self.add(Dense(84, activation='relu'))
        self.add(Dense(num_classes, activation='softmax'))


img_height = 28
img_width = 28
img_channels = 1
input_shape = (img_height, img_width, img_channels)
num_classes = 10  # 10개의 의류 class

# Build model
model = LeNet5(input_shape=input_shape, num_classes=num_classes)

# Print model Info
print(model.summary())

# load data
import numpy as np  # noqa: E402
from minicnn.keras.datasets import fashion_mnist  # noqa: E402
from minicnn.keras.utils import to_categorical  # noqa: E402

(X_train, y_train), (X_test, y_test) = fashion_mnist.load_data()

# normalize data
X_train, X_test = X_train.astype('float32') / 255.0, X_test.astype('float32') / 255.0
X_train, X_test = X_train.reshape(-1, *input_shape), X_test.reshape(-1, *input_shape)

# Make labels to one-hot encoding labels
y_train = to_categorical(y_train)
y_test = to_categorical(y_test)

print('X_train shape:', X_train.shape)
print('X_test shape:', X_test.shape)
print('y_train shape:', y_train.shape)
print('y_test shape:', y_test.shape)

# build model
model.compile(optimizer='adam',
              loss='categorical_crossentropy',
              metrics=['accuracy'])

# Train
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 20      # the one changed line: the seed trains 20
model.fit(X_train, y_train, batch_size=32, epochs=epochs, validation_data=(X_test, y_test))

import matplotlib.pyplot as plt  # noqa: E402

class_names = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
               'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']

# Prediction
prediction_values = model.predict_classes(X_test)

# figure(그리기) 위한 set up
fig = plt.figure(figsize=(15, 7))
fig.subplots_adjust(left=0, right=1, bottom=0, top=1, hspace=0.05, wspace=0.05)

# Plot 50 images with prediction
for i in range(50):
    ax = fig.add_subplot(5, 10, i + 1, xticks=[], yticks=[])
    ax.imshow(X_test[i, :].reshape((28, 28)), cmap=plt.cm.gray_r, interpolation='nearest')

    # If correct, label the image with the blue text
    if prediction_values[i] == np.argmax(y_test[i]):
        ax.text(0, 7, class_names[prediction_values[i]], color='blue')
    # If wrong, label the image with the red text
    else:
        ax.text(0, 7, class_names[prediction_values[i]], color='red')
fig.savefig("keras_lenet5_predictions.png")
