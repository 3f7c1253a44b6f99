"""keras.backend: the automatic names (conv2d, conv2d_1, ...) and clear_session, as Keras 3 keeps them.

Keras names a layer after its class in snake case and numbers the second one of a kind ``_1``, the
third ``_2``, ... for the whole session; ``clear_session()`` starts the numbering again.
"""
import re

_uids = {}


def get_uid(prefix):
    """0 the first time ``prefix`` is asked for in this session, then 1, 2, ..."""
    n = _uids.get(prefix, 0)
    _uids[prefix] = n + 1
    return n


def unique_name(prefix):
    """``prefix``, then ``prefix_1``, ``prefix_2``, ... (Keras's automatic layer and model names)."""
    n = get_uid(prefix)
    return prefix if n == 0 else f"{prefix}_{n}"


def snake_case(name):
    """Conv2D -> conv2d, AveragePooling2D -> average_pooling2d, LeNet5 -> le_net5 (Keras's rule)."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def clear_session():
    """Forget the automatic names given so far: the next Conv2D is 'conv2d' again."""
    _uids.clear()


def image_data_format():
    """minicnn.keras is channels-last at every interface, as Keras's default."""
    return "channels_last"


def floatx():
    """'float32': minicnn.keras computes in float32."""
    return "float32"
