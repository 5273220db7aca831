import { describe, expect, it } from '@jest/globals';
import type { Notification } from '../../notifications/notification.js';
import { decodeNotificationMessage, encodeNotificationMessage } from './redis-channels.js';

const stored = (recipient: string): Notification => ({
  id: '42-9f3c01d2aa',
  type: 'invoice.paid',
  recipient,
  actorId: null,
  title: 'Paid',
  body: 'line 1\nline 2',
  data: { amount: 3 },
  createdAt: '2026-12-06T10:00:00.000Z',
});

describe('notification messages', () => {
  describe(encodeNotificationMessage.name, () => {
    it('puts cursor, type and the recipient as a JSON string before the wire JSON', () => {
      const notification = stored('alice');
      const json = JSON.stringify(notification);
      expect(encodeNotificationMessage([{ notification, json }])).toBe(
        `42-9f3c01d2aa\ninvoice.paid\n"alice"\n${json}`,
      );
    });

    it('joins the notifications of one append by line feeds', () => {
      const first = { notification: stored('alice'), json: '{"a":1}' };
      const second = { notification: { ...stored('bob'), id: '43-9f3c01d2aa' }, json: '{"b":2}' };
      expect(encodeNotificationMessage([first, second])).toBe(
        '42-9f3c01d2aa\ninvoice.paid\n"alice"\n{"a":1}\n43-9f3c01d2aa\ninvoice.paid\n"bob"\n{"b":2}',
      );
    });
  });

  describe(decodeNotificationMessage.name, () => {
    it.each([
      ['a plain id', 'alice'],
      ['the broadcast marker', '*'],
      ['an id with a line feed, CR, quotes and a backslash', 'a\nb\r"c"\\d'],
      ['an id of letters beyond ASCII and an emoji', 'zoë 😀 名'],
      ['an id that looks like a header', '1-ab\nx.y\n"z"\n{'],
      ['a long id', 'u'.repeat(8192)],
    ])('reads back what was encoded: %s', (_, recipient) => {
      const notification = stored(recipient);
      const json = JSON.stringify(notification);
      const [fed, ...more] = decodeNotificationMessage(
        encodeNotificationMessage([{ notification, json }]),
      );
      expect(more).toEqual([]);
      expect([fed.id, fed.type, fed.recipient, fed.json]).toEqual([
        notification.id,
        notification.type,
        recipient,
        json,
      ]);
      expect(fed.notification()).toEqual(notification);
    });

    it('reads every notification of an append, in order', () => {
      const appended = ['a\nb', '*', 'c'].map((recipient, i) => {
        const notification = { ...stored(recipient), id: `${i + 1}-ab` };
        return { notification, json: JSON.stringify(notification) };
      });
      const decoded = decodeNotificationMessage(encodeNotificationMessage(appended));
      expect(decoded.map((fed) => [fed.id, fed.recipient, fed.notification()])).toEqual(
        appended.map(({ notification }) => [notification.id, notification.recipient, notification]),
      );
    });

    it('reads a recipient as the script encodes it (cjson escapes "/")', () => {
      const [fed] = decodeNotificationMessage('7-ab\nt\n"team\\/ops \\u00e9"\n{"id":"7-ab"}');
      expect(fed.recipient).toBe('team/ops é');
    });

    it('parses the notification only when asked, once', () => {
      const [fed] = decodeNotificationMessage('7-ab\nt\n"bob"\n{"id":"7-ab","title":"x"}');
      expect(fed.json).toBe('{"id":"7-ab","title":"x"}');
      expect(fed.notification()).toBe(fed.notification());
    });

    it('does not parse the notification to read the header', () => {
      const [fed] = decodeNotificationMessage('7-ab\nt\n"bob"\nnot JSON at all');
      expect([fed.id, fed.type, fed.recipient]).toEqual(['7-ab', 't', 'bob']);
      expect(() => fed.notification()).toThrow(SyntaxError);
    });

    it.each([
      ['no header at all (the former format)', '{"id":"7-ab","recipient":"bob"}'],
      ['a header cut short', '7-ab\nt\n"bob"'],
      ['a recipient that is not a JSON string', '7-ab\nt\n42\n{}'],
      ['an empty cursor', '\nt\n"bob"\n{}'],
      ['a second notification cut short', '7-ab\nt\n"bob"\n{}\n8-ab\nt'],
    ])('refuses %s', (_, message) => {
      expect(() => decodeNotificationMessage(message)).toThrow(SyntaxError);
    });
  });
});
