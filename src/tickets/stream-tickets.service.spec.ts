import { describe, expect, it } from '@jest/globals';
import { UnauthorizedException } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user.js';
import { InMemoryTicketStore } from '../storage/memory/in-memory-ticket-store.js';
import { StreamTickets, TICKET_TTL_MS } from './stream-tickets.service.js';

const START = Date.parse('2026-11-21T08:00:00Z');

function setup() {
  const clock = { now: START };
  const store = new InMemoryTicketStore(() => clock.now);
  return { clock, store, tickets: new StreamTickets(store) };
}

function user(expiresInMs = 3_600_000): AuthUser {
  return { id: 'alice', name: null, roles: ['admin'], expiresAt: new Date(START + expiresInMs) };
}

describe(StreamTickets.name, () => {
  describe('mint', () => {
    it('gives a ticket of 256 random bits, valid 60 s', async () => {
      const { tickets } = setup();
      const minted = await tickets.mint(user(), START);
      expect(minted).toEqual({ ticket: expect.stringMatching(/^[\w-]{43}$/), expiresIn: 60 });
      expect((await tickets.mint(user(), START)).ticket).not.toBe(minted.ticket);
    });

    it('gives no longer than the minting token has left', async () => {
      const { tickets } = setup();
      expect((await tickets.mint(user(12_500), START)).expiresIn).toBe(13);
    });

    it('keeps the ticket under a digest, never as itself', async () => {
      const { store, tickets } = setup();
      const { ticket } = await tickets.mint(user(), START);
      expect(await store.take(ticket)).toBeNull();
    });
  });

  describe('redeem', () => {
    it('gives the minting user, with the minting token expiry', async () => {
      const { tickets } = setup();
      const { ticket } = await tickets.mint(user(), START);
      expect(await tickets.redeem(ticket, START + 1000)).toEqual(user());
    });

    it('works once', async () => {
      const { tickets } = setup();
      const { ticket } = await tickets.mint(user(), START);
      await tickets.redeem(ticket, START);
      await expect(tickets.redeem(ticket, START)).rejects.toThrow(UnauthorizedException);
    });

    it('refuses a ticket 60 s after it was minted', async () => {
      const { clock, tickets } = setup();
      const { ticket } = await tickets.mint(user(), START);
      clock.now = START + TICKET_TTL_MS;
      await expect(tickets.redeem(ticket, clock.now)).rejects.toThrow(/Invalid ticket/);
    });

    it('accepts it just before', async () => {
      const { clock, tickets } = setup();
      const { ticket } = await tickets.mint(user(), START);
      clock.now = START + TICKET_TTL_MS - 1;
      await expect(tickets.redeem(ticket, clock.now)).resolves.toMatchObject({ id: 'alice' });
    });

    it('refuses an unknown ticket', async () => {
      const { tickets } = setup();
      await expect(tickets.redeem('made-up')).rejects.toThrow(/Invalid ticket/);
    });
  });
});
