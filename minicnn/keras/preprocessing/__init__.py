"""keras.preprocessing (the TF2-era home of ImageDataGenerator, load_img and img_to_array)."""
from . import image  # noqa: F401
