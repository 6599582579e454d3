"""The HTTP client of synth's feedback sessions (standard library + numpy).

    client = Client('http://127.0.0.1:8080')
    session = client.create_session(spec, strategy='hardness')
    for image, label, meta in session.batch(256):      # streamed WebDataset tar, decoded as it arrives
        ...
    session.feedback([{'id': meta['id'], 'loss': 0.7, 'correct': True}, ...])
"""
import base64
import io
import json
import math
import tarfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import NamedTuple

import numpy as np

from .raw import take_image_and_maps

#: Defaults of Client and Session; one place, read by both.
CLIENT_DEFAULTS = {
    'timeout': 600.0,  # seconds without a byte before a request fails (a pruned batch renders k x n first)
    'feedback_chunk': 50_000,  # records per POST (the service takes up to 32 MiB, about 320,000 {id, loss, correct} records)
    'decoder': 'auto',  # PNG decoder: auto (Pillow when importable), pil, numpy
}


class SynthError(Exception):
    """An error answer of the service: HTTP status, error code and message (and the details, if any).

    `status` is None for a stream that ended early (code 'truncated').
    """

    def __init__(self, status, code, message, details=None):
        super().__init__(f'{status} {code}: {message}' if status is not None else f'{code}: {message}')
        self.status = status
        self.code = code
        self.message = message
        self.details = details


class Sample(NamedTuple):
    """One served sample: the image (uint8 [H, W, 3]), its label (the index of its class in Session.classes:
    the spec's classes sorted by name), and the
    sample's json (id, class, factors, strategy, bins, hardness or criterion, batch, ...). Label maps the
    spec asked for (`<id>.seg.png`, `.depth.png`, ...) are in `metadata['members']` as raw bytes."""
    image: np.ndarray
    label: int
    metadata: dict


def _error_from(status, body):
    try:
        err = json.loads(body.decode('utf-8'))['error']
        return SynthError(status, err.get('code', 'error'), err.get('message', ''), err.get('details'))
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        text = body[:200].decode('utf-8', 'replace')
        return SynthError(status, 'http_error', text or f'HTTP {status}')


class Client:
    """A connection to a synth service.

    base_url: e.g. 'http://127.0.0.1:8080'. api_key: sent as `Authorization: Bearer <key>` (the service
    needs one when started with SYNTH_API_KEYS). decoder: the PNG decoder of batches ('auto', 'pil',
    'numpy').
    """

    def __init__(self, base_url, api_key=None, timeout=None, decoder=None):
        self.base_url = base_url.rstrip('/')
        self.api_key = api_key
        self.timeout = CLIENT_DEFAULTS['timeout'] if timeout is None else timeout
        self.decoder = decoder or CLIENT_DEFAULTS['decoder']

    # -- plumbing --------------------------------------------------------------------------------

    def _open(self, method, path, body=None, accept='application/json', headers=None):
        """Send a request and return the open response; error answers raise SynthError."""
        headers = {'Accept': accept, **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body, separators=(',', ':'), allow_nan=False).encode('utf-8')
            headers['Content-Type'] = 'application/json'
        if self.api_key:
            headers['Authorization'] = f'Bearer {self.api_key}'
        req = urllib.request.Request(self.base_url + path, data=data, headers=headers, method=method)
        try:
            return urllib.request.urlopen(req, timeout=self.timeout)
        except urllib.error.HTTPError as e:
            with e:
                raise _error_from(e.code, e.read()) from None

    def request(self, method, path, body=None, headers=None):
        """A JSON request: the parsed answer. Raises SynthError for an error answer."""
        with self._open(method, path, body, headers=headers) as res:
            return json.loads(res.read().decode('utf-8'))

    # -- service ---------------------------------------------------------------------------------

    def health(self):
        """GET /v1/health."""
        return self.request('GET', '/v1/health')

    def catalog(self):
        """GET /v1/catalog: classes, factors, textures, environments, models, limits."""
        return self.request('GET', '/v1/catalog')

    def stream(self, spec, start=None, end=None, decoder=None):
        """POST /v1/stream: samples [start, end) of `spec` (a factor spec dict) as they render, in order.

        Returns a BatchStream of Sample(image, label, metadata): images as uint8 [H, W, 3] arrays
        (with spec format "raw", read from .npy members without decoding; label maps then in
        metadata['maps']). Raises SynthError (400) naming a bad field.
        """
        body = spec if start is None and end is None else {'spec': spec, **({'start': start} if start is not None else {}), **({'end': end} if end is not None else {})}
        res = self._open('POST', '/v1/stream', body, accept='application/x-tar')
        return BatchStream(res, decoder or self.decoder)

    def create_session(self, spec, strategy=None, options=None):
        """POST /v1/sessions: a new feedback session over `spec` (a factor spec dict).

        strategy: 'uniform', 'hardness', 'pruned' or 'guided'; None leaves it to the service, whose
        default (SESSION_DEFAULTS.strategy, 'uniform') docs/feedback-defaults.md explains. options: the
        session options (bins, factors, epsilon, temperature, halfLife, priorWeight, signal, candidates,
        seed).
        Raises SynthError (400) naming the bad field.
        """
        body = {'spec': spec}
        if strategy is not None:
            body['strategy'] = strategy
        if options is not None:
            body['options'] = options
        return Session(self, self.request('POST', '/v1/sessions', body))

    def session(self, session_id):
        """An existing session by id (GET /v1/sessions/:id; 404 raises SynthError)."""
        return Session(self, self.request('GET', f'/v1/sessions/{urllib.parse.quote(session_id)}'))

    def sessions(self):
        """GET /v1/sessions: summaries of every session."""
        return self.request('GET', '/v1/sessions')['sessions']

    def evaluate(self, classifier, spec=None, dataset=None, map=None, search=0, wait=True, poll=0.5, timeout=3600, **options):
        """POST /v1/evaluations: evaluate `classifier` (a model name under models/ or an uploaded
        classifier id) along each factor of `spec` (rendered on the service) or of a finished dataset
        job (`dataset`, its id). map: spec class -> model class name(s) or output index(es), e.g.
        {'car': ['car', 'bus']}; classes left out map by name. search: renders for a worst-case search
        over the spec's continuous factors (0: none). options: batch, topK, minCellCount, saveImages.

        With wait (the default), polls until the job ends and returns report.json as a dict (its
        files, such as report['plots'] paths, come with evaluation_file); otherwise returns the job.
        Raises SynthError (400) naming a bad field, or SynthError(None, 'failed' | 'cancelled' |
        'timeout', ...) when the job does not finish.
        """
        body = {'classifier': classifier, **options}
        if spec is not None:
            body['spec'] = spec
        if dataset is not None:
            body['dataset'] = dataset
        if map is not None:
            body['map'] = map
        if search:
            body['search'] = search
        job = self.request('POST', '/v1/evaluations', body)
        if not wait:
            return job
        path = f"/v1/evaluations/{urllib.parse.quote(job['id'])}"
        deadline = time.monotonic() + timeout
        while job['status'] not in ('done', 'failed', 'cancelled'):
            if time.monotonic() > deadline:
                raise SynthError(None, 'timeout', f"evaluation {job['id']} still {job['status']} after {timeout} s")
            time.sleep(poll)
            job = self.request('GET', path)
        if job['status'] != 'done':
            error = job.get('error') or {}
            raise SynthError(None, job['status'], f"evaluation {job['id']} {job['status']}: {error.get('message', '')}".rstrip(': '))
        report = self.request('GET', path + '/files/report.json')
        report['id'] = job['id']
        return report

    def evaluation_file(self, evaluation_id, file):
        """GET /v1/evaluations/:id/files/<file>: the bytes of one file of an evaluation (report.md,
        predictions.jsonl, tables/*.csv, plots/*.png, search/*.png)."""
        quoted = '/'.join(urllib.parse.quote(p) for p in file.split('/'))
        with self._open('GET', f'/v1/evaluations/{urllib.parse.quote(evaluation_id)}/files/{quoted}', accept='*/*') as res:
            return res.read()


class Session:
    """A feedback session: batches out, feedback and classifier snapshots in.

    `view` holds the last session document the service sent (see `info()` for a fresh one).
    """

    def __init__(self, client, view):
        self.client = client
        self.view = view
        self.id = view['id']

    def __repr__(self):
        return f'Session({self.id!r}, strategy={self.view.get("strategy")!r})'

    @property
    def classes(self):
        """The class names in label order: a sample's label is the index of its class here (the spec's
        classes sorted by name, ImageFolder's order; as an export's classes.txt)."""
        return list(self.view['labels'])

    def _path(self, suffix=''):
        return f'/v1/sessions/{self.id}{suffix}'

    def info(self):
        """GET /v1/sessions/:id: counts, feedback totals, hardness per class and factor bin, classifier."""
        self.view = self.client.request('GET', self._path())
        return self.view

    def delete(self):
        """DELETE /v1/sessions/:id (the session and its files)."""
        return self.client.request('DELETE', self._path())

    def batch(self, n, strategy=None, decoder=None):
        """POST /v1/sessions/:id/batches: the next n samples, decoded as the tar streams in.

        Returns a BatchStream: iterate it for Sample(image, label, metadata) tuples; `.batch` is the
        batch number and `.count` the samples promised. strategy: this batch's strategy (default the
        session's). Raises SynthError for an error answer, and SynthError(None, 'truncated', ...) when
        the stream ends before every promised sample arrived.
        """
        res = self.client._open('POST', self._path('/batches'), _batch_body(n, strategy), accept='application/x-tar')
        return BatchStream(res, decoder or self.client.decoder)

    def batch_job(self, n, strategy=None):
        """POST /v1/sessions/:id/batches?as=job: the next n samples made by a job on the service (for a
        batch too large or slow to stream; n is capped by maxDatasetCount, not maxStreamCount). Returns
        the job (a dict as GET /v1/datasets/:id); open_batch_job() waits for it and reads the samples."""
        return self.client.request('POST', self._path('/batches?as=job'), _batch_body(n, strategy))

    def open_batch_job(self, job, poll=0.5, timeout=3600, decoder=None):
        """Wait for a batch job (a dict from batch_job(), or its id) and open its tar: a BatchStream of
        Samples, as batch() gives. Raises SynthError(None, 'failed' | 'cancelled' | 'timeout', ...)."""
        job_id = job['id'] if isinstance(job, dict) else str(job)
        path = f'/v1/datasets/{urllib.parse.quote(job_id)}'
        deadline = time.monotonic() + timeout
        while True:
            view = self.client.request('GET', path)
            if view['status'] == 'done':
                break
            if view['status'] in ('failed', 'cancelled'):
                error = view.get('error') or {}
                raise SynthError(None, view['status'], f"batch job {job_id} {view['status']}: {error.get('message', '')}".rstrip(': '))
            if time.monotonic() > deadline:
                raise SynthError(None, 'timeout', f'batch job {job_id} still {view["status"]} after {timeout} s')
            time.sleep(poll)
        files = [f['path'] for f in self.client.request('GET', path + '/files')['files'] if f['path'].endswith('.tar')]
        if len(files) != 1:
            raise SynthError(None, 'http_error', f'batch job {job_id}: expected one tar among its files, got {files}')
        res = self.client._open('GET', f'{path}/files/{files[0]}', accept='application/x-tar')
        stream = BatchStream(res, decoder or self.client.decoder)
        stream.batch = int(files[0][len('batch-'):-len('.tar')])
        stream.count = int(view['progress']['total'])
        stream.session = self.id
        return stream

    def feedback(self, records, chunk_size=None, key=None):
        """POST /v1/sessions/:id/feedback in chunks; returns the summed counts.

        records: an iterable of dicts {id, loss?, correct?} (numpy scalars are fine), or of
        (id, loss, correct) tuples (None for a missing field). Returns {accepted, rejected, unknown,
        otherSession, unknownIds, posts}. A malformed record raises SynthError (400) naming it; chunks
        posted before it stay applied. Chunk k is posted with the header `Idempotency-Key: <key>-<k>`
        (key: a new UUID unless given): calling feedback again with the same key and records after a
        failure applies only the chunks the service had not applied yet.
        """
        size = chunk_size or CLIENT_DEFAULTS['feedback_chunk']
        base = key if key is not None else str(uuid.uuid4())
        totals = {'accepted': 0, 'rejected': 0, 'unknown': 0, 'otherSession': 0, 'unknownIds': [], 'posts': 0}
        chunk = []

        def post():
            headers = {'Idempotency-Key': f'{base}-{totals["posts"]}'}
            answer = self.client.request('POST', self._path('/feedback'), {'records': chunk}, headers=headers)
            for k in ('accepted', 'rejected', 'unknown', 'otherSession'):
                totals[k] += answer.get(k, 0)
            totals['unknownIds'].extend(answer.get('unknownIds', []))
            totals['posts'] += 1

        for r in records:
            chunk.append(_feedback_record(r))
            if len(chunk) >= size:
                post()
                chunk = []
        if chunk:
            post()
        return totals

    def upload_classifier(self, onnx_bytes, manifest):
        """POST /v1/sessions/:id/classifier: install a classifier snapshot (for the pruned strategy).

        onnx_bytes: the ONNX file; manifest: its model.json as a dict (see export_classifier). Returns
        the session document. Raises SynthError (400) naming what does not fit (shapes, classes).
        """
        body = {'manifest': manifest, 'model': base64.b64encode(bytes(onnx_bytes)).decode('ascii')}
        self.view = self.client.request('POST', self._path('/classifier'), body)
        return self.view

    def use_classifier(self, classifier_id):
        """POST /v1/sessions/:id/classifier with {classifierId}: one uploaded to POST /v1/classifiers."""
        self.view = self.client.request('POST', self._path('/classifier'), {'classifierId': classifier_id})
        return self.view


def _batch_body(n, strategy):
    """The body of POST /v1/sessions/:id/batches."""
    body = {'n': int(n)}
    if strategy is not None:
        body['strategy'] = strategy
    return body


def _feedback_record(r):
    if isinstance(r, dict):
        out = {'id': str(r['id'])}
        loss, correct = r.get('loss'), r.get('correct')
    else:
        rid, loss, correct = (tuple(r) + (None, None))[:3]
        out = {'id': str(rid)}
    if loss is not None:
        loss = float(loss)
        if not math.isfinite(loss):
            raise ValueError(f'feedback record {out["id"]}: loss must be finite, got {loss}')
        out['loss'] = loss
    if correct is not None:
        out['correct'] = bool(correct)
    return out


class BatchStream:
    """An open batch: iterate for Samples, in order, as they arrive. Closes itself at the end; use it as a
    context manager (or call close()) to stop early, which ends the request (the service stops rendering)."""

    def __init__(self, response, decoder):
        self._res = response
        self._decoder = decoder
        self.batch = int(response.headers.get('X-Synth-Batch', -1))
        self.count = int(response.headers.get('X-Synth-Count', -1))
        self.session = response.headers.get('X-Synth-Session')
        self.received = 0
        self._tar = tarfile.open(fileobj=response, mode='r|')
        self._members = self._read_members()
        self._pending = None
        self._done = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __iter__(self):
        return self

    def close(self):
        """Stop reading and close the connection."""
        if not self._done:
            self._done = True
            try:
                self._tar.close()
            finally:
                self._res.close()

    def _read_members(self):
        try:
            for member in self._tar:
                if not member.isfile():
                    continue
                f = self._tar.extractfile(member)
                yield member.name, f.read()
        except (tarfile.ReadError, EOFError, OSError) as e:
            raise SynthError(None, 'truncated', f'batch {self.batch}: the stream ended early after {self.received} of {self.count} samples ({e})') from e

    def __next__(self):
        if self._done:
            raise StopIteration
        # Members of one sample come together (<id>.png, <id>.json, <id>.cls, label maps): a new key
        # closes the group; its first member waits in _pending for the next call.
        key, group = self._pending if self._pending else (None, {})
        self._pending = None
        for name, data in self._members:
            k, _, ext = name.partition('.')
            if key is None:
                key = k
            if k != key:
                self._pending = (k, {ext: data})
                return self._sample(group)
            group[ext] = data
        if group:
            return self._sample(group)
        received = self.received
        self.close()
        if self.count >= 0 and received < self.count:
            raise SynthError(None, 'truncated', f'batch {self.batch}: the stream ended after {received} of {self.count} samples')
        raise StopIteration

    def _sample(self, members):
        meta = json.loads(members.pop('json').decode('utf-8'))
        image, maps = take_image_and_maps(members, self._decoder)
        if maps:
            meta['maps'] = maps
        label = int(members.pop('cls').decode('ascii')) if 'cls' in members else int(meta['label'])
        if members:
            meta['members'] = members
        self.received += 1
        return Sample(image, label, meta)


def export_classifier(torch_model, classes, image_size, mean, std, name='trainer-classifier', opset=17):
    """A forward-only ONNX classifier and its manifest (format synth-classifier-model/1), ready for
    Session.upload_classifier.

    torch_model: maps float32 [B, 3, H, W] images, normalised as (pixel / 255 - mean) / std, to logits
    [B, len(classes)] (or a tuple whose first item is the logits). image_size: an int, or (height,
    width). mean, std: a number or three. The model is exported in eval mode (its training mode is
    restored after) on the device of its parameters. Returns (onnx_bytes, manifest).
    """
    import torch  # optional dependency: only this helper (and synth_client.torch) needs it

    h, w = (image_size, image_size) if isinstance(image_size, int) else tuple(int(v) for v in image_size)
    triple = lambda v: [float(x) for x in (v if hasattr(v, '__len__') else [v] * 3)]  # noqa: E731
    mean, std = triple(mean), triple(std)
    if len(mean) != 3 or len(std) != 3:
        raise ValueError(f'mean and std: expected a number or three, got {mean} and {std}')

    class LogitsOnly(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, image):
            out = self.inner(image)
            return out[0] if isinstance(out, (tuple, list)) else out

    try:
        device = next(torch_model.parameters()).device
    except StopIteration:
        device = torch.device('cpu')
    was_training = torch_model.training
    torch_model.eval()
    buf = io.BytesIO()
    try:
        with torch.no_grad():
            dummy = torch.zeros(2, 3, h, w, device=device)
            logits = LogitsOnly(torch_model)(dummy)
            if tuple(logits.shape) != (2, len(classes)):
                raise ValueError(f'torch_model: expected logits [B, {len(classes)}] (one per class), got {list(logits.shape)}')
            torch.onnx.export(LogitsOnly(torch_model), (dummy,), buf, opset_version=opset,
                              input_names=['image'], output_names=['logits'],
                              dynamic_axes={'image': {0: 'B'}, 'logits': {0: 'B'}})
    finally:
        torch_model.train(was_training)
    manifest = {
        'format': 'synth-classifier-model/1',
        'name': name,
        'kind': 'classifier',
        'description': 'A trainer\'s classifier snapshot, exported by synth_client.export_classifier.',
        'file': 'model.onnx',
        'input': {'name': 'image', 'dtype': 'float32', 'shape': ['B', 3, h, w], 'layout': 'NCHW',
                  'colorSpace': 'RGB', 'scale': 1 / 255, 'mean': mean, 'std': std},
        'outputs': {'logits': {'name': 'logits', 'dtype': 'float32', 'shape': ['B', len(classes)]}},
        'image': {'width': w, 'height': h, 'channels': 3},
        'classes': list(classes),
        'training': {'exporter': 'synth_client.export_classifier', 'torch': torch.__version__, 'opset': opset},
    }
    return buf.getvalue(), manifest
