import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/**
 * Jest transpiles without type checking, so the compile-time guarantees of the typed
 * domain events are checked here, with the compiler itself, over
 * domain-events.typecheck.ts.
 */
const FIXTURE = fileURLToPath(new URL('./domain-events.typecheck.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
const DIRECTIVE = /\/\/ @ts-expect-error ((?:TS\d+ ?)+):/;

interface Failure {
  /** The failing line, trimmed. */
  line: string;
  codes: string[];
}

/** What the fixture says must fail: the line after each directive, with its codes. */
function expectedFailures(lines: string[]): Failure[] {
  return lines.flatMap((text, index) => {
    const directive = DIRECTIVE.exec(text);
    if (!directive) return [];
    return [{ line: lines[index + 1].trim(), codes: directive[1].trim().split(' ').sort() }];
  });
}

/** Compiles the fixture with its directives turned into plain comments; every error, by line. */
function actualFailures(source: string): Failure[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    TSCONFIG,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!config) throw new Error(`Cannot read ${TSCONFIG}`);
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (file) =>
    file === FIXTURE ? source.replaceAll('@ts-expect-error', 'expected:') : readFile(file);
  const program = ts.createProgram([FIXTURE], { ...config.options, noEmit: true }, host);
  const file = program.getSourceFile(FIXTURE);
  if (!file) throw new Error(`Cannot compile ${FIXTURE}`);
  const lines = source.split('\n');
  const byLine = new Map<number, Set<string>>();
  for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
    if (diagnostic.file?.fileName !== FIXTURE || diagnostic.start === undefined) {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    }
    const { line } = file.getLineAndCharacterOfPosition(diagnostic.start);
    byLine.set(line, (byLine.get(line) ?? new Set()).add(`TS${diagnostic.code}`));
  }
  return [...byLine]
    .sort(([a], [b]) => a - b)
    .map(([line, codes]) => ({ line: lines[line].trim(), codes: [...codes].sort() }));
}

describe('typed domain events', () => {
  it('fail to compile exactly where the fixture says, with the error it names', () => {
    const source = readFileSync(FIXTURE, 'utf8');
    const expected = expectedFailures(source.split('\n'));
    expect(expected.length).toBeGreaterThanOrEqual(5);
    expect(actualFailures(source)).toEqual(expected);
  });
});
