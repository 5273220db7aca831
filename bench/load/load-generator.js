// The load generator: N streams split over worker processes (load/worker.js) on the
// load core, so that reading them is not what limits a measurement.
import { firstMessage, IpcPeer, LOAD_CPU, spawnNode } from '../processes.js';

export class LoadGenerator {
  constructor(workers) {
    this.workers = workers;
  }

  static async start(count) {
    const workers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const child = spawnNode('bench/load/worker.js', { cpu: LOAD_CPU });
        await firstMessage(child, (m) => m.ready, `load worker ${i}`);
        return { child, peer: new IpcPeer(child) };
      }),
    );
    return new LoadGenerator(workers);
  }

  /** Which worker holds a user's stream. */
  workerOf(userIndex) {
    return this.workers[userIndex % this.workers.length].peer;
  }

  all(cmd, args = {}) {
    return Promise.all(this.workers.map(({ peer }) => peer.request({ cmd, ...args })));
  }

  /** Opens one stream for each of `users`, dealt round-robin to the workers. */
  async open(base, users) {
    const shares = this.workers.map(() => []);
    users.forEach((user, i) => shares[i % shares.length].push(user));
    await Promise.all(
      this.workers.map(({ peer }, i) => peer.request({ cmd: 'open', base, users: shares[i] })),
    );
  }

  close() {
    return this.all('close');
  }

  /** Starts a new recording; `samples` keeps every delivery's latency. */
  record(samples = false) {
    return this.all('record', { samples });
  }

  /** What the workers recorded since `record`, merged. */
  async report() {
    const reports = await this.all('report');
    const perEvent = new Map();
    for (const report of reports) {
      for (const [seq, { count, max }] of report.perEvent) {
        const event = perEvent.get(seq) ?? { count: 0, max: 0 };
        event.count += count;
        event.max = Math.max(event.max, max);
        perEvent.set(seq, event);
      }
    }
    const active = reports.filter((report) => report.deliveries > 0);
    return {
      deliveries: reports.reduce((sum, report) => sum + report.deliveries, 0),
      first: Math.min(...active.map((report) => report.first)),
      last: Math.max(...active.map((report) => report.last)),
      perEvent,
      samples: reports.every((report) => report.samples)
        ? reports.flatMap((report) => report.samples)
        : null,
    };
  }

  /** CPU microseconds and title events read so far, summed over the workers. */
  async usage() {
    const usages = await this.all('usage');
    return {
      cpuMicros: usages.reduce((sum, usage) => sum + usage.cpuMicros, 0),
      received: usages.reduce((sum, usage) => sum + usage.received, 0),
    };
  }

  stop() {
    for (const { child } of this.workers) child.kill('SIGKILL');
  }
}
