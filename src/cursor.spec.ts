import { describe, expect, it } from '@jest/globals';
import { formatCursor, isAfter, parseCursor, sameHistory, splitCursor } from './cursor.js';

describe('cursor', () => {
  describe(splitCursor.name, () => {
    it.each([
      ['42', { sequence: 42, epoch: '' }],
      ['42-9f3c01d2aa', { sequence: 42, epoch: '9f3c01d2aa' }],
    ])('splits %j', (cursor, parts) => {
      expect(splitCursor(cursor)).toEqual(parts);
    });

    it.each(['', '0', '-1', '01', 'abc', '42-', '42-XYZ', '42-ab-cd', '1'.repeat(17)])(
      'refuses %j',
      (garbage) => {
        expect(splitCursor(garbage)).toBeNull();
      },
    );
  });

  describe(parseCursor.name, () => {
    it('gives the sequence of a cursor of the given history only', () => {
      expect(parseCursor('7')).toBe(7);
      expect(parseCursor('7-ab')).toBeNull();
      expect(parseCursor('7-ab', 'ab')).toBe(7);
      expect(parseCursor('7', 'ab')).toBeNull();
    });
  });

  describe(formatCursor.name, () => {
    it('leaves the epoch out when there is none', () => {
      expect(formatCursor(7)).toBe('7');
      expect(formatCursor(7, 'ab')).toBe('7-ab');
    });
  });

  describe(isAfter.name, () => {
    it.each([
      ['10', '9', true],
      ['9', '10', false],
      ['9', '9', false],
      ['10-ab', '9-ab', true],
      ['9-ab', '10-ab', false],
      ['9-ab', '9-ab', false],
      ['13-ab', '12-ab', true],
      ['12-ab', '13-ab', false],
      ['19-ab', '21-ab', false],
      ['100', '99', true],
    ])('%j after %j: %j', (a, b, after) => {
      expect(isAfter(a, b)).toBe(after);
    });

    it('takes a cursor of another history for a new one, never a duplicate', () => {
      expect(isAfter('1-cd', '500-ab')).toBe(true);
      expect(isAfter('1-cd', '500')).toBe(true);
      expect(isAfter('12-ab', '12-cd')).toBe(true);
      expect(isAfter('12', '13-ab')).toBe(true);
    });
  });

  describe(sameHistory.name, () => {
    it('compares epochs', () => {
      expect(sameHistory('1-ab', '900-ab')).toBe(true);
      expect(sameHistory('1', '900')).toBe(true);
      expect(sameHistory('1-ab', '1-cd')).toBe(false);
      expect(sameHistory('1-ab', '1')).toBe(false);
      expect(sameHistory('1-abc', '1-xbc')).toBe(false);
      expect(sameHistory('10-bc', '1-abc')).toBe(false);
    });
  });
});
