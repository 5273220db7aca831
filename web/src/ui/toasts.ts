import type { Notification } from '@notification-hub/client';
import { element } from './dom.js';

const SHOWN_FOR_MS = 8000;
const AT_MOST = 4;

/** A toast per notification, in a polite live region, so screen readers announce them too. */
export class Toasts {
  constructor(private readonly container: HTMLElement) {}

  show(notification: Notification): void {
    const toast = element('div', 'toast');
    toast.dataset.id = notification.id;
    toast.dataset.type = notification.type;
    toast.append(element('p', 'title', notification.title));
    if (notification.body) toast.append(element('p', 'body', notification.body));
    const close = element('button', '', '×');
    close.type = 'button';
    close.setAttribute('aria-label', 'Dismiss');
    close.addEventListener('click', () => toast.remove());
    toast.append(close);
    this.container.append(toast);
    while (this.container.children.length > AT_MOST) this.container.firstElementChild?.remove();
    setTimeout(() => toast.remove(), SHOWN_FOR_MS);
  }
}
