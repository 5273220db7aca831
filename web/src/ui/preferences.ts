import type { Preferences, PreferencesApi } from '@notification-hub/client';
import { messageOf } from '../api.js';
import { byId, element } from './dom.js';

/** The one type nobody can mute (the service answers 400). */
const ALWAYS_ON = 'announcement';

/**
 * The preferences panel: a switch per known type (GET/PUT /notifications/preferences).
 * A muted type is neither delivered, listed nor counted; the service says so to every
 * tab with `event: preferences`, which {@link render} shows.
 */
export class PreferencesPanel {
  private readonly list = byId('prefs');
  private readonly status = byId('prefs-status');

  constructor(
    /** The client package's preferences helpers (`client.preferences`). */
    private readonly api: PreferencesApi,
    private readonly failed: (message: string) => void,
  ) {}

  async load(): Promise<void> {
    try {
      this.render(await this.api.get());
    } catch (error) {
      this.failed(messageOf(error));
    }
  }

  /** The preferences as the service answered or the stream announced them. */
  render({ types }: Preferences): void {
    const names = Object.keys(types).sort();
    this.list.replaceChildren(...names.map((type) => this.row(type, types[type])));
  }

  private row(type: string, enabled: boolean): HTMLLIElement {
    const row = element('li');
    const id = `pref-${type}`;
    const input = element('input');
    input.type = 'checkbox';
    input.id = id;
    input.role = 'switch';
    input.dataset.type = type;
    input.checked = enabled;
    const label = element('label', '', type);
    label.htmlFor = id;
    row.append(input, label);
    if (type === ALWAYS_ON) {
      input.disabled = true;
      row.append(element('span', 'hint', 'always on'));
    }
    input.addEventListener('change', () => void this.set(input, type));
    return row;
  }

  private async set(input: HTMLInputElement, type: string): Promise<void> {
    const wanted = input.checked;
    input.disabled = true;
    try {
      this.render(await this.api.set({ [type]: wanted }));
      this.status.textContent = `${type}: ${wanted ? 'on' : 'off'}`;
    } catch (error) {
      input.checked = !wanted;
      input.disabled = false;
      this.failed(messageOf(error));
    }
  }
}
