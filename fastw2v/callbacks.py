"""gensim's ``gensim.models.callbacks`` path: ``CallbackAny2Vec``, the base class of training callbacks.

``Word2Vec.train`` calls, on every callback in ``callbacks``, ``on_train_begin(model)``, then per epoch
``on_epoch_begin(model)``, ``on_batch_begin(model)`` / ``on_batch_end(model)`` around every batch a
worker trains (in that worker's thread, as gensim does), ``on_epoch_end(model)``, and finally
``on_train_end(model)``. Any object with some of these methods works (a gensim ``CallbackAny2Vec``
subclass too); subclassing this class gives the others as no-ops.
"""

__all__ = ["CallbackAny2Vec"]

#: The hook names, in gensim's order.
HOOKS = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end", "on_train_begin",
         "on_train_end")


class CallbackAny2Vec:
    """Base class for training callbacks: every hook is a no-op taking the model being trained."""

    def on_epoch_begin(self, model):
        """Called at the start of every epoch."""

    def on_epoch_end(self, model):
        """Called at the end of every epoch (``model.loss_history[-1]`` is that epoch's loss)."""

    def on_batch_begin(self, model):
        """Called before a worker trains a batch, in that worker's thread."""

    def on_batch_end(self, model):
        """Called after a worker trained a batch, in that worker's thread."""

    def on_train_begin(self, model):
        """Called at the start of ``train()``."""

    def on_train_end(self, model):
        """Called at the end of ``train()``."""

    def __str__(self):
        return type(self).__name__
