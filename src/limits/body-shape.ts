import { BadRequestException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { isWellFormed } from '../unicode.js';

/** Objects and arrays may nest this deep in a body field (CONTRACT.md, "Publishing"). */
export const MAX_BODY_DEPTH = 32;

/**
 * Nest's ValidationPipe deletes `__proto__`, `prototype` and `constructor` keys at any
 * depth (a defence against prototype pollution). Deleting what a client sent would
 * store something else than it asked for, so such a body is refused instead.
 */
const PROTOTYPE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** A value met during the walk, with what is needed to name it only if it is wrong. */
interface Visit {
  value: unknown;
  /** 0 for the body itself, 1 for its fields, and so on. */
  depth: number;
  parent: Visit | null;
  key: string | number | null;
}

/**
 * What is wrong with a parsed JSON body, or null: a prototype key, a string or key that
 * is not valid Unicode (lone surrogates, which JSON's `\ud800` escapes produce), or objects
 * and arrays nested deeper than {@link MAX_BODY_DEPTH} in a field. The walk is iterative:
 * it runs before the ValidationPipe and class-transformer, whose recursion a deep body
 * (64 KiB hold 32,000 levels) would overflow into a 500.
 */
export function bodyShapeProblem(body: unknown): string | null {
  const pending: Visit[] = [{ value: body, depth: 0, parent: null, key: null }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    const { value, depth } = visit;
    if (typeof value === 'string') {
      if (!isWellFormed(value))
        return `${pathOf(visit)} must be valid Unicode (no lone surrogates)`;
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_BODY_DEPTH)
      return `${fieldOf(visit)} is nested deeper than ${MAX_BODY_DEPTH} levels`;
    if (Array.isArray(value)) {
      for (let index = value.length - 1; index >= 0; index--) {
        pending.push({ value: value[index], depth: depth + 1, parent: visit, key: index });
      }
      continue;
    }
    const keys = Object.keys(value);
    for (const key of keys) {
      if (PROTOTYPE_KEYS.has(key))
        return `The key "${key}" is not allowed anywhere in a request body`;
      if (!isWellFormed(key))
        return `a key in ${pathOf(visit)} must be valid Unicode (no lone surrogates)`;
    }
    for (let index = keys.length - 1; index >= 0; index--) {
      const key = keys[index];
      pending.push({
        value: (value as Record<string, unknown>)[key],
        depth: depth + 1,
        parent: visit,
        key,
      });
    }
  }
  return null;
}

/** Refuses, with 400 naming the field, a JSON body {@link bodyShapeProblem} finds wrong. */
export function checkBodyShape() {
  return (request: Request, _response: Response, next: NextFunction): void => {
    const problem = request.body === undefined ? null : bodyShapeProblem(request.body);
    next(problem === null ? undefined : new BadRequestException(problem));
  };
}

/** The body field a value is in: `data` for anything inside `data`. */
function fieldOf(visit: Visit): string {
  let field = visit;
  while (field.parent?.parent) field = field.parent;
  return field.parent && !Array.isArray(field.parent.value) ? pathOf(field) : 'the request body';
}

/** Where a value is, as `data.items[3].name`; a long or odd key is quoted and shortened. */
function pathOf(visit: Visit): string {
  const parts: string[] = [];
  for (let at: Visit | null = visit; at?.parent; at = at.parent) {
    const { key } = at;
    if (typeof key === 'number') parts.push(`[${key}]`);
    else if (key !== null && /^[A-Za-z_$][\w$]{0,63}$/.test(key)) parts.push(`.${key}`);
    else parts.push(`[${JSON.stringify(String(key).slice(0, 64))}]`);
  }
  const path = parts.reverse().join('').replace(/^\./, '');
  return path === '' ? 'the request body' : path;
}
