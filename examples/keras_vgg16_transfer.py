"""Seed 000's transfer learning (lines 374-400 and 473-493), as printed, on minicnn.keras: a frozen VGG-16
base up to block5_pool, Flatten, Dense(10, relu), Dense(1, sigmoid), RMSprop, fit_generator, curves.

    python examples/keras_vgg16_transfer.py TRAIN_DIR TEST_DIR [WEIGHTS]

TRAIN_DIR and TEST_DIR hold one subfolder per class (two classes: cats/ and dogs/ in the seed).
Changed from the listing: the import lines; the two folders (the seed's are on its author's disk) and
the base model's weights (the seed's VGG16 cell loads ImageNet's; give a file written by
model.save_weights, or none for Keras's random initial weights) come from the command line; the
curves are saved to keras_vgg16_transfer.png instead of shown; Dense(1)'s automatic name is used up
first, as the seed's session had (Keras 3 refuses two layers named 'dense').
"""
import sys

import matplotlib
matplotlib.use("Agg")

from minicnn.keras.applications.vgg16 import VGG16  # noqa: E402
from minicnn.keras.layers import Flatten, Dense  # noqa: E402
from minicnn.keras.models import Model  # noqa: E402
from minicnn.keras.preprocessing.image import ImageDataGenerator  # noqa: E402

if len(sys.argv) < 3:
    sys.exit(__doc__)
train_dir, test_dir = sys.argv[1], sys.argv[2]
Dense(1)
model = VGG16(weights=sys.argv[3] if len(sys.argv) > 3 else None)

# 폴더에 따라 자동 분류
train_image_generator = ImageDataGenerator(rescale=1./255)
test_image_generator = ImageDataGenerator(rescale=1./255)
# 데이터 구조 생성
train_data_gen = train_image_generator.flow_from_directory(batch_size=16,
                                                           directory=train_dir,
                                                           shuffle=True,
                                                           target_size=(224, 224),
                                                           class_mode='binary')
test_data_gen = test_image_generator.flow_from_directory(batch_size=16,
                                                         directory=test_dir,
                                                         target_size=(224, 224),
                                                         class_mode='binary')
#설계된 모델의 w,b를 업데이트하지않게하기
for layer in model.layers:
    layer.trainable = False
#block5_pool까지가 물체의 특징을 뽑아내는 층이라서 여기까지만 사용
vgg_maxpool5 = model.get_layer('block5_pool').output
FeatureFlatten = Flatten()(vgg_maxpool5)
dense = Dense(10, name='dense', activation='relu')(FeatureFlatten)
predictions = Dense(1, activation = 'sigmoid')(dense)
New_VGGmodel = Model(inputs=model.input, outputs=predictions)
New_VGGmodel.compile(optimizer = 'rmsprop', loss='binary_crossentropy', metrics=['accuracy'])
New_VGGmodel.summary()

history = New_VGGmodel.fit_generator(train_data_gen, steps_per_epoch=10,
                                     epochs=30, validation_data = test_data_gen, validation_steps=50)
# 최종 결과 리포트
acc = history.history['accuracy']
val_acc = history.history['val_accuracy']
loss = history.history['loss']
val_loss = history.history['val_loss']
epochs = range(len(acc))
from matplotlib import pyplot as plt  # noqa: E402
plt.plot(epochs, acc, 'r', label='Training acc')
plt.plot(epochs, val_acc, 'b', label='testing acc')
plt.title('Training and testing accuracy')
plt.legend()
plt.figure()
plt.plot(epochs, loss, 'r', label='Training loss')
plt.plot(epochs, val_loss, 'b', label='testing loss')
plt.title('Training and testing loss')
plt.legend()
plt.savefig('keras_vgg16_transfer.png')
