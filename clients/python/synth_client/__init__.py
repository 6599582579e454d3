"""synth_client: the Python client of synth's trainer feedback sessions.

    from synth_client import Client
    session = Client('http://127.0.0.1:8080').create_session(spec, strategy='hardness')
    for image, label, meta in session.batch(256):
        ...
    session.feedback([{'id': meta['id'], 'loss': 0.3, 'correct': True}])

Spec format "raw" streams uint8 [H, W, 3] arrays (.npy members) that need no decoding (Client.stream,
Session.batch). Standard library + numpy; Pillow decodes PNGs when importable (else a numpy decoder does);
`synth_client.torch` (PyTorch) has SessionDataset, and `export_classifier` needs torch.
"""
from .client import CLIENT_DEFAULTS, BatchStream, Client, Sample, Session, SynthError, export_classifier
from .png import decode_png, decode_png_numpy, encode_png, have_pil
from .labels import decode_label_map, decode_label_maps, depth_in_units, webdataset_decoder
from .raw import decode_npy

__version__ = '0.1.0'

__all__ = ['CLIENT_DEFAULTS', 'BatchStream', 'Client', 'Sample', 'Session', 'SynthError', 'export_classifier',
           'decode_png', 'decode_png_numpy', 'encode_png', 'have_pil', 'decode_npy',
           'decode_label_map', 'decode_label_maps', 'depth_in_units', 'webdataset_decoder']
