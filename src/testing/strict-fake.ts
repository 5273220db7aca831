/**
 * A stand-in for a class instance in unit tests: only the members given exist. Any
 * other member throws on first touch, naming itself, so a test fails loudly on a call
 * it did not expect instead of passing on an `undefined`.
 */
export function strictFake<T extends object>(name: string, members: Partial<T>): T {
  return new Proxy(members, {
    get(target, key, receiver) {
      if (key in target) return Reflect.get(target, key, receiver) as unknown;
      // Probed by `await` and by inspection; a fake is neither a promise nor special.
      if (key === 'then' || typeof key === 'symbol') return undefined;
      throw new Error(`Unexpected use of ${name}.${key}`);
    },
  }) as T;
}
