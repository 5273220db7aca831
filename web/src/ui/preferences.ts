import { messageOf, type Api, type Preferences } from '../api.js';
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
    private readonly api: Api,
    private readonly failed: (message: string) => void,
  ) {}

  async load(): Promise<void> {
    try {
      this.render(await this.api.preferences());
    } catch (error) {
      this.failed(messageOf(error));
    }
  }

  render(preferences: Preferences): void {
    const types = Object.keys(preferences).sort();
    this.list.replaceChildren(...types.map((type) => this.row(type, preferences[type])));
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
      this.render(await this.api.setPreference(type, wanted));
      this.status.textContent = `${type}: ${wanted ? 'on' : 'off'}`;
    } catch (error) {
      input.checked = !wanted;
      input.disabled = false;
      this.failed(messageOf(error));
    }
  }
}
