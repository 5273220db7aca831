import type { ConnectionState } from '@notification-hub/client';

const STOPPED: Record<string, string> = {
  'token-expired': 'Signed out: the token expired. Sign in again.',
  unauthorized: 'Refused: the token is not valid here. Sign in again.',
  stopped: 'Disconnected',
};

/**
 * The connection state, in the header that stays in view: a countdown while it waits to
 * reconnect, and "Retry now", which skips the wait (from any tab: a tab that follows
 * another asks the leader tab, which holds the stream, to retry).
 */
export class ConnectionStatus {
  private countdown: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly output: HTMLElement,
    private readonly retry: HTMLButtonElement,
    retryNow: () => void,
  ) {
    retry.addEventListener('click', () => {
      retry.hidden = true;
      retryNow();
    });
  }

  render(state: ConnectionState): void {
    clearInterval(this.countdown);
    this.output.hidden = false;
    const focused = document.activeElement === this.retry;
    this.retry.hidden = state.status !== 'reconnecting';
    if (focused && this.retry.hidden) this.output.focus();
    this.output.dataset.status = state.status;
    this.output.dataset.leader = String(state.leader);
    // Followers say so: their tab holds no connection of its own.
    const via = state.leader ? '' : ' (via another tab)';
    switch (state.status) {
      case 'connecting':
        this.output.textContent = `Connecting…${via}`;
        break;
      case 'live':
        this.output.textContent = `Live${via}`;
        break;
      case 'reconnecting': {
        const tick = () => {
          const seconds = Math.max(0, Math.ceil((state.at - Date.now()) / 1000));
          this.output.textContent = `Reconnecting in ${seconds} s…${via}`;
        };
        tick();
        this.countdown = setInterval(tick, 250);
        break;
      }
      case 'stopped':
        this.output.textContent = STOPPED[state.reason] ?? `Disconnected (${state.reason})`;
        break;
    }
  }
}
