"""synth_client: the Python client of synth's trainer feedback sessions.

    from synth_client import Client
    session = Client('http://127.0.0.1:8080').create_session(spec, strategy='hardness')
    for image, label, meta in session.batch(256):
        ...
    session.feedback([{'id': meta['id'], 'loss': 0.3, 'correct': True}])

Standard library + numpy; Pillow decodes PNGs when importable (else a numpy decoder does);
`synth_client.torch` (PyTorch) has SessionDataset, and `export_classifier` needs torch.
"""
from .client import CLIENT_DEFAULTS, BatchStream, Client, Sample, Session, SynthError, export_classifier
from .png import decode_png, decode_png_numpy, encode_png, have_pil

__version__ = '0.1.0'

__all__ = ['CLIENT_DEFAULTS', 'BatchStream', 'Client', 'Sample', 'Session', 'SynthError', 'export_classifier',
           'decode_png', 'decode_png_numpy', 'encode_png', 'have_pil']
