import { describe, expect, it } from '@jest/globals';
import { frameComment, frameControl, frameEvent, frameRetry } from './sse-frame.js';

describe('frameEvent', () => {
  it('writes id, event and data in that order, ended by a blank line', () => {
    expect(frameEvent({ id: '42', event: 'message.created', data: '{"a":1}' })).toBe(
      'id: 42\nevent: message.created\ndata: {"a":1}\n\n',
    );
  });

  it('leaves out the id and event lines when not given', () => {
    expect(frameEvent({ data: 'x' })).toBe('data: x\n\n');
  });

  it('keeps JSON-escaped line breaks inside the one data line', () => {
    const data = JSON.stringify({ title: 'a\n\nevent: x\r\ndata: y\r' });
    const frame = frameEvent({ id: '1', event: 't', data });
    expect(frame.split('\n')).toEqual(['id: 1', 'event: t', `data: ${data}`, '', '']);
  });

  it.each([
    ['id', { id: '1\n', data: 'x' }],
    ['event', { event: 'a\rb', data: 'x' }],
    ['data', { data: 'a\nb' }],
  ])('refuses a raw line break in the %s', (field, event) => {
    expect(() => frameEvent(event)).toThrow(`SSE ${field} must not contain a line break`);
  });
});

describe('frameControl', () => {
  it('frames a named JSON event without an id line', () => {
    expect(frameControl('token-expiring', { expiresAt: '2030-01-01T00:00:00.000Z' })).toBe(
      'event: token-expiring\ndata: {"expiresAt":"2030-01-01T00:00:00.000Z"}\n\n',
    );
  });
});

describe('frameRetry', () => {
  it('writes the retry field alone', () => {
    expect(frameRetry(3000)).toBe('retry: 3000\n\n');
  });

  it('refuses what is not a whole number of milliseconds', () => {
    expect(() => frameRetry(1.5)).toThrow(RangeError);
    expect(() => frameRetry(-1)).toThrow(RangeError);
  });
});

describe('frameComment', () => {
  it('writes an empty comment by default', () => {
    expect(frameComment()).toBe(':\n\n');
  });

  it('writes a one-line comment', () => {
    expect(frameComment('keep-alive')).toBe(': keep-alive\n\n');
  });
});
