import { describe, expect, it } from '@jest/globals';
import { frameEvent } from './sse-frame.js';
describe('x', () => { it('y', () => { expect(frameEvent({ data: 'a' })).toBe('data: a\n\n'); }); });
