"""Seed 001, lines 572-579: tf.keras.applications.VGG16 with its arguments spelled out.

Fixed: weights='imagenet' becomes weights=None (minicnn never downloads; Keras 3's run would download
528 MB); the printed typos input_shpae and poooling, which Keras 3 refuses too, are input_shape and
pooling.
"""
import tensorflow as tf
vgg_net = tf.keras.applications.VGG16(
    include_top=True, # 구현되어있는 VGG의 Dense layer를 포함한다는 뜻입니다. False의 경우 새로운 Dense layer를 추가해줘야합니다
    weights=None, # imagenet으로 사전 훈련된 weight값을 초기 weight로 갖는다는 뜻입니다
    input_tensor=None, # 입력으로 받는 tensor
    input_shape=None, # 입력으로 받는 input의 shape(구조)를 의미합니다
    pooling=None, # pooling의 종류를 의미합니다. 'max', 'avg'...
    classes=1000 # 분류할 class의 숫자를 의미합니다
)
vgg_net.summary()
EXPECTED = {'vgg_net': '138,357,544'}
