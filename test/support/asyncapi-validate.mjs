// Validates an AsyncAPI document with @asyncapi/parser, in a process of its own: the parser
// (CommonJS, with Spectral and its many files) is run as Node runs it, outside Jest's module
// system. Reads the document on stdin; prints its diagnostics as JSON on stdout.
import { Parser } from '@asyncapi/parser';

let text = '';
for await (const chunk of process.stdin) text += chunk;
const { diagnostics } = await new Parser().parse(text);
process.stdout.write(
  JSON.stringify(
    diagnostics.map((d) => ({
      severity: d.severity,
      code: String(d.code),
      message: d.message,
      path: d.path.join('.'),
    })),
  ),
);
