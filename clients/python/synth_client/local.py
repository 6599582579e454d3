"""Start a synth service as a child process (tests, experiments, notebooks).

    with LocalService(repo_root='.', data_dir='/tmp/synth') as service:
        client = Client(service.url)
"""
import os
import shutil
import signal
import subprocess
import tempfile
import threading

__all__ = ['LocalService']


class LocalService:
    """`synth serve --port 0` in a child process; `url` once it listens.

    repo_root: a checkout with a built dist/ (runs `node <root>/dist/cli/main.js`); None runs `synth` from
    the PATH. data_dir: the service's data dir (default: a temp folder removed at stop). api_keys: set
    SYNTH_API_KEYS for the child. args: more `synth serve` flags. Raises RuntimeError naming the command
    and its output when the service does not come up within `timeout` seconds.
    """

    def __init__(self, repo_root=None, data_dir=None, api_keys=None, args=(), timeout=120, quiet=True, node=None):
        if repo_root is not None:
            main = os.path.join(os.path.abspath(repo_root), 'dist', 'cli', 'main.js')
            if not os.path.exists(main):
                raise RuntimeError(f'{main}: not found; build the service first (npx tsc -p .)')
            command = [node or os.environ.get('SYNTH_NODE', 'node'), main]
        else:
            command = ['synth']
        self._own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix='synth-service-')
        command += ['serve', '--port', '0', '--data-dir', self.data_dir] + (['--quiet'] if quiet else []) + list(args)
        env = dict(os.environ)
        if api_keys:
            env['SYNTH_API_KEYS'] = ','.join(api_keys)
        self.command = command
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        self.stderr_tail = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.url = self._wait_for_url(timeout)

    def _drain_stderr(self):
        for line in self.process.stderr:
            self.stderr_tail = (self.stderr_tail + [line.rstrip()])[-50:]

    def _wait_for_url(self, timeout):
        found = {}

        def read():
            for line in self.process.stdout:
                if 'listening on ' in line:
                    found['url'] = line.split('listening on ', 1)[1].split()[0]
                    break
            # Keep draining so the child never blocks on a full pipe.
            for _ in self.process.stdout:
                pass

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        waited = 0.0
        while 'url' not in found and self.process.poll() is None and waited < timeout:
            reader.join(0.1)
            waited += 0.1
        if 'url' not in found:
            self.stop()
            raise RuntimeError(f'{" ".join(self.command)}: the service did not start; stderr: ' + '\n'.join(self.stderr_tail[-10:]))
        return found['url']

    def stop(self, timeout=30):
        """SIGTERM (graceful shutdown), SIGKILL after `timeout` seconds; removes a temp data dir."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
