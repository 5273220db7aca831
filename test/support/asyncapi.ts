import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export interface AsyncApiDiagnostic {
  /** Spectral's: 0 error, 1 warning, 2 information, 3 hint. */
  severity: number;
  code: string;
  message: string;
  path: string;
}

/** @asyncapi/parser's diagnostics of `document` (run in a child process: see the script). */
export function validateAsyncApi(document: string): Promise<AsyncApiDiagnostic[]> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [resolve('test/support/asyncapi-validate.mjs')], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      if (code !== 0) fail(new Error(`the AsyncAPI parser exited with ${code}`));
      else done(JSON.parse(out) as AsyncApiDiagnostic[]);
    });
    child.stdin.end(document);
  });
}
