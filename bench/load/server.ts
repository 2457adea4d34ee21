/**
 * The server under load, as its own process: `startServer` (exactly what `parley server` runs) with the
 * configuration given as JSON in argv[2], plus an IPC channel on which the orchestrator asks for what
 * only the process itself can see: event-loop utilisation and delay, heap, live sessions. Those
 * observers cost a timer every 10 ms; CPU and RSS are read from /proc by the orchestrator.
 *
 *   node --import tsx bench/load/server.ts '{"dataDir":"…","port":0,"httpPort":0,"logLevel":"warn"}'
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import type { ServerConfigInput } from '../../src/server/core/config.js';
import { startServer } from '../../src/server/start.js';
import { type ServerStats, serveRpc } from './common.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ServerConfigInput;
const server = await startServer(config);

const lag = monitorEventLoopDelay({ resolution: 10 });
lag.enable();
let elu = performance.eventLoopUtilization();

let stopping: Promise<void> | undefined;
function stop(): Promise<void> {
  stopping ??= server
    .stop()
    .catch((err: unknown) => console.error('server stop failed', err))
    .then(() => {
      // A normal exit, so --cpu-prof gets to write its profile.
      setImmediate(() => process.exit(0));
    });
  return stopping;
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());

serveRpc({
  stats: (): ServerStats => {
    const now = performance.eventLoopUtilization();
    const d = performance.eventLoopUtilization(now, elu);
    elu = now;
    const ms = (ns: number) => Math.round(ns / 1e3) / 1e3;
    const out: ServerStats = {
      elu: d.utilization,
      lag: { p50: ms(lag.percentile(50)), p99: ms(lag.percentile(99)), max: ms(lag.max), mean: ms(lag.mean) },
      ...memory(),
      sessions: server.sessions.size,
    };
    lag.reset();
    return out;
  },
  stop: () => stop(),
  /** Writes a V8 heap snapshot (for `idle --heap-snapshot`): what the per-connection heap is made of. */
  heapSnapshot: (a: { file: string }) => writeHeapSnapshot(a.file),
});

function memory() {
  const m = process.memoryUsage();
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  return {
    heapUsedMiB: mib(m.heapUsed),
    externalMiB: mib(m.external),
    arrayBuffersMiB: mib(m.arrayBuffers),
    rssMiB: mib(m.rss),
  };
}

process.send?.({
  ready: true,
  pid: process.pid,
  port: server.transportPort('tcp'),
  httpPort: server.httpPort(),
  publicKey: Buffer.from(server.staticKey.publicKey).toString('base64'),
});
