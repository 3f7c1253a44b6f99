"""Seed 000, lines 359-371: classify one photo with VGG-16 (load_img, preprocess_input, decode_predictions).

Fixed: the model the listing predicts with is built in another cell of the seed (keras.applications.VGG16
with ImageNet's weights); here it is VGG16(weights=None) -- minicnn never downloads weights -- so the top
class is not a dog. `from keras applications vgg16 import` gets its dots, the print line its `%`s, and
the photo is the test's own file (PHOTO, set by the test).
"""
from keras.applications.vgg16 import VGG16
from keras.preprocessing.image import load_img
from keras.preprocessing.image import img_to_array
from keras.applications.vgg16 import preprocess_input
model = VGG16(weights=None)
image = load_img(PHOTO, target_size=(224, 224)) #Load image  # noqa: F821
image = img_to_array(image) # Convert to numpy array
image = image.reshape((1, image.shape[0], image.shape[1], image.shape[2]))  # reshape data for the model
image = preprocess_input(image) # prepare the image for the VGG model
from keras.applications.vgg16 import decode_predictions
yhat = model.predict(image)
label = decode_predictions(yhat) # convert the probabilities to class labels
label = label[0][0]
# retrieve the most likely result, e.g. highest probability
print('%s (%.2f%%)' % (label[1], label[2]*100)) # print the classification
EXPECTED = {"model": "138,357,544"}
