"""minicnn.optim: SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta with torch.optim's update rules, and
learning-rate schedules (minicnn.optim.lr_scheduler)."""
from .optimizer import Optimizer  # noqa: F401
from .sgd import SGD  # noqa: F401
from .adam import Adam, AdamW  # noqa: F401
from .adagrad import Adagrad, Adadelta  # noqa: F401
from .rmsprop import RMSprop  # noqa: F401
from . import lr_scheduler  # noqa: F401
