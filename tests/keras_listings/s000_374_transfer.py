"""Seed 000, lines 374-400: transfer learning from a frozen VGG-16 base up to block5_pool.

Fixed: the base model comes from another cell (VGG16 with ImageNet's weights): here VGG16(weights=None).
Keras 3 refuses two layers named 'dense' in one model; in the seed's session the automatic name of
Dense(1) was 'dense_6' (the custom VGG-16 made six before), so a Dense is made first to use up the name.
The generators and fit_generator (lines 376-391, 473) run in test_keras.py on a tiny folder.
"""
from keras.applications.vgg16 import VGG16
from keras.layers import Flatten, Dense
from keras.models import Model
Dense(1)
model = VGG16(weights=None)
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
EXPECTED = {"New_VGGmodel": "14,965,589", "New_VGGmodel trainable": "250,901"}
