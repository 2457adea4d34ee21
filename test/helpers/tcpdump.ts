import { type ChildProcess, spawn, spawnSync } from 'node:child_process';

/**
 * tcpdump for real-capture tests. CI runs as root with Debian mirrors reachable, so a missing tcpdump is
 * installed the way CI does it; the answer is a reason to skip only where that cannot work (not root).
 */
export function ensureTcpdump(): string | undefined {
  if (spawnSync('tcpdump', ['--version']).status === 0) return undefined;
  if (process.getuid?.() !== 0) return 'tcpdump is not installed and installing it needs root';
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    spawnSync('apt-get', ['install', '-y', '-q', 'tcpdump'], { env, encoding: 'utf8', timeout: 300_000 });
  let r = install();
  if (r.status !== 0) {
    // A fresh image has no package lists yet; refresh them only when needed, as it is slow.
    spawnSync('apt-get', ['update', '-q'], { env, encoding: 'utf8', timeout: 300_000 });
    r = install();
  }
  if (r.status !== 0 || spawnSync('tcpdump', ['--version']).status !== 0) {
    const why = (r.stderr || r.error?.message || '').trim().split('\n').pop();
    return `tcpdump could not be installed with apt-get (${why})`;
  }
  return undefined;
}

/** Whether tcpdump may capture here: as root it must (a failure then is a real failure, not a skip). */
export function canCapture(): string | undefined {
  if (process.getuid?.() === 0) return undefined;
  const r = spawnSync('tcpdump', ['-i', 'lo', '-c', '1', '-w', '/dev/null', 'tcp port 9'], {
    encoding: 'utf8',
    timeout: 2000,
  });
  return r.stderr.includes('listening on')
    ? undefined
    : `tcpdump cannot capture without root: ${r.stderr.trim()}`;
}

/** Whether this tcpdump can write pcapng itself (newer versions); older ones only write classic pcap. */
export function tcpdumpWritesPcapng(): boolean {
  const help = spawnSync('tcpdump', ['--help'], { encoding: 'utf8' });
  return `${help.stdout}${help.stderr}`.includes('--pcapng');
}

export interface Capture {
  /** Stops tcpdump; resolves to its closing statistics ("… packets dropped by kernel"). */
  stop(): Promise<{ dropped: number; summary: string }>;
}

/** Starts tcpdump (on loopback by default) writing `file`; resolves once it says it is listening. */
export function startTcpdump(
  file: string,
  port: number,
  iface = 'lo',
  extra: string[] = [],
): Promise<Capture> {
  // -Z root: tcpdump otherwise drops to its own user and may not be able to write into a private temp dir.
  // -B: with `-i any` the default 2 MiB ring loses packets on many-CPU machines even at a trickle.
  const args = [
    '-i',
    iface,
    '-n',
    '-U',
    '--immediate-mode',
    '-B',
    '16384',
    '-Z',
    'root',
    ...extra,
    '-w',
    file,
  ];
  const child: ChildProcess = spawn('tcpdump', [...args, `tcp port ${port}`], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tcpdump did not start listening: ${stderr}`));
    }, 15_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited with ${code}: ${stderr.trim()}`));
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
      if (!stderr.includes('listening on')) return;
      clearTimeout(timer);
      resolve({
        async stop() {
          child.kill('SIGINT');
          const code = await exited;
          if (code !== 0) throw new Error(`tcpdump exited with ${code}: ${stderr.trim()}`);
          const dropped = Number(/(\d+) packets? dropped by kernel/.exec(stderr)?.[1] ?? 0);
          return { dropped, summary: stderr.trim().split('\n').slice(-3).join('; ') };
        },
      });
    });
  });
}
