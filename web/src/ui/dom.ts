/** The element with this id; the page is static, so a missing one is a bug worth a throw. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

/** A new element with text content (never HTML: what users send is shown as text). */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  text = '',
): HTMLElementTagNameMap[K] {
  const created = document.createElement(tag);
  if (className) created.className = className;
  if (text) created.textContent = text;
  return created;
}

/** Shows a form's outcome in its `.form-status` line. */
export function formStatus(form: HTMLFormElement, text: string, kind: 'ok' | 'error'): void {
  const status = form.querySelector<HTMLElement>('.form-status');
  if (!status) return;
  status.textContent = text;
  status.dataset.kind = kind;
}

/** "alice, bob" → ["alice", "bob"]; empty → undefined (meaning everyone). */
export function userList(text: string): string[] | undefined {
  const users = text
    .split(',')
    .map((user) => user.trim())
    .filter(Boolean);
  return users.length > 0 ? [...new Set(users)] : undefined;
}

/** A text field of a submitted form ('' when absent). */
export function field(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
}

/**
 * The page's one line for failed requests (a polite alert under the header), cleared
 * after a while or by the next success.
 */
export class Notice {
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly line: HTMLElement) {}

  show(message: string): void {
    clearTimeout(this.timer);
    this.line.textContent = message;
    this.line.hidden = false;
    this.timer = setTimeout(() => this.clear(), 10_000);
  }

  clear(): void {
    clearTimeout(this.timer);
    this.line.hidden = true;
    this.line.textContent = '';
  }
}
