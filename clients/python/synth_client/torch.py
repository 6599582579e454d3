"""PyTorch side of the client (needs torch): a streaming dataset over a session's batches.

    from torch.utils.data import DataLoader
    from synth_client.torch import SessionDataset, collate
    loader = DataLoader(SessionDataset(session, n=10_000, batch_size=500), batch_size=64, collate_fn=collate)
    for images, labels, metas in loader:   # images float [B, 3, H, W] in [0, 1], labels int64 [B]
        ...
"""
import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

__all__ = ['SessionDataset', 'collate', 'to_tensor']


def to_tensor(image):
    """A uint8 [H, W, 3] image as a float tensor [3, H, W] in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255)


class SessionDataset(IterableDataset):
    """n samples of a session per pass, fetched as batches of `batch_size` (POST .../batches each).

    Every pass (epoch) asks the service for new batches, so what it yields follows the session's
    strategy and the feedback reported so far. Items: (image float [3, H, W] in [0, 1], label int,
    metadata dict). With DataLoader workers, worker k fetches batches k, k + W, ... of the pass (n split
    as evenly as batch_size allows); use `collate` as the collate_fn (metadata stays a list of dicts).
    """

    def __init__(self, session, n, batch_size=256, strategy=None):
        super().__init__()
        if n < 1 or batch_size < 1:
            raise ValueError(f'n and batch_size: expected >= 1, got {n} and {batch_size}')
        self.session = session
        self.n = int(n)
        self.batch_size = int(batch_size)
        self.strategy = strategy

    def __len__(self):
        return self.n

    def _requests(self):
        sizes = [self.batch_size] * (self.n // self.batch_size)
        if self.n % self.batch_size:
            sizes.append(self.n % self.batch_size)
        info = get_worker_info()
        if info is not None:
            sizes = sizes[info.id::info.num_workers]
        return sizes

    def __iter__(self):
        for size in self._requests():
            with self.session.batch(size, strategy=self.strategy) as stream:
                for image, label, meta in stream:
                    yield to_tensor(image), label, meta


def collate(items):
    """collate_fn for SessionDataset: (images [B, 3, H, W], labels int64 [B], list of metadata dicts)."""
    images, labels, metas = zip(*items)
    return torch.stack(images), torch.tensor(labels, dtype=torch.int64), list(metas)
