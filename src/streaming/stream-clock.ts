/** What the clock calls back: a stream's heartbeat, and its deadline once due. */
export interface Clocked {
  heartbeat(): void;
  deadlineDue(): void;
}

/** Deadlines fall due in one-second slots: a token's `exp` is in whole seconds, so none is late. */
const SLOT_MS = 1000;
/** setTimeout fires at once for delays over 2^31 - 1 ms, so longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The timers of every stream of one hub: one interval per heartbeat period that beats
 * every stream of that period, and one timer for the earliest deadline (a token's warning
 * or its end), instead of three timers and their closures per stream. At 10,000 idle
 * streams those were 30,000 timers (issue 16). Per stream the clock holds a Set entry
 * for its heartbeat and one for its deadline; both go when the stream is removed.
 *
 * A stream's first heartbeat thus comes within one period of its opening, not exactly
 * one period after it; a deadline comes when due, or at most {@link SLOT_MS} later.
 */
export class StreamClock {
  private readonly beats = new Map<number, { members: Set<Clocked>; timer: NodeJS.Timeout }>();
  /** Streams by the slot of their deadline, and each stream's slot. */
  private readonly slots = new Map<number, Set<Clocked>>();
  private readonly slotOf = new Map<Clocked, number>();
  private alarm: NodeJS.Timeout | null = null;
  /** The slot the alarm is set for (Infinity when none is). */
  private alarmSlot = Infinity;

  /** Beats `member` every `periodMs` from now on, until {@link stopHeartbeat}. */
  startHeartbeat(member: Clocked, periodMs: number): void {
    let beat = this.beats.get(periodMs);
    if (!beat) {
      const members = new Set<Clocked>();
      // A member whose beat closes it leaves the Set while it is iterated: Sets allow that.
      const timer = setInterval(() => {
        for (const each of members) each.heartbeat();
      }, periodMs);
      this.beats.set(periodMs, (beat = { members, timer }));
    }
    beat.members.add(member);
  }

  stopHeartbeat(member: Clocked, periodMs: number): void {
    const beat = this.beats.get(periodMs);
    if (!beat?.members.delete(member) || beat.members.size > 0) return;
    clearInterval(beat.timer);
    this.beats.delete(periodMs);
  }

  /** Calls `member.deadlineDue()` at `when` (ms since the epoch), replacing its earlier deadline. */
  setDeadline(member: Clocked, when: number): void {
    this.clearDeadline(member);
    const slot = Math.ceil(when / SLOT_MS);
    let members = this.slots.get(slot);
    if (!members) this.slots.set(slot, (members = new Set()));
    members.add(member);
    this.slotOf.set(member, slot);
    if (slot < this.alarmSlot) this.setAlarm(slot);
  }

  clearDeadline(member: Clocked): void {
    const slot = this.slotOf.get(member);
    if (slot === undefined) return;
    this.slotOf.delete(member);
    const members = this.slots.get(slot)!;
    members.delete(member);
    if (members.size > 0) return;
    this.slots.delete(slot);
    if (this.slots.size === 0) this.setAlarm(Infinity);
  }

  /** Timers this clock holds (for leak checks): one per heartbeat period, one alarm. */
  get timerCount(): number {
    return this.beats.size + (this.alarm === null ? 0 : 1);
  }

  /** Whether `member` has a heartbeat or a deadline here (for leak checks). */
  holds(member: Clocked): boolean {
    if (this.slotOf.has(member)) return true;
    for (const { members } of this.beats.values()) if (members.has(member)) return true;
    return false;
  }

  private setAlarm(slot: number): void {
    if (this.alarm !== null) clearTimeout(this.alarm);
    this.alarm = null;
    this.alarmSlot = slot;
    if (slot === Infinity) return;
    const delay = Math.max(0, slot * SLOT_MS - Date.now());
    this.alarm = setTimeout(() => this.ring(), Math.min(delay, MAX_TIMER_MS));
  }

  /** Calls every member whose deadline is due, then sets the alarm for the next one. */
  private ring(): void {
    this.alarm = null;
    const now = Date.now();
    const due = [...this.slots.keys()]
      .filter((slot) => slot * SLOT_MS <= now)
      .sort((a, b) => a - b);
    for (const slot of due) {
      const members = this.slots.get(slot);
      if (!members) continue;
      this.slots.delete(slot);
      for (const member of members) {
        this.slotOf.delete(member);
        // A member may set its next deadline here (the end after the warning).
        member.deadlineDue();
      }
    }
    let next = Infinity;
    for (const slot of this.slots.keys()) if (slot < next) next = slot;
    this.setAlarm(next);
  }
}
