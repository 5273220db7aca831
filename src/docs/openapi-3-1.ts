import type { OpenAPIObject } from '@nestjs/swagger';

type Node = Record<string, unknown>;

/**
 * @nestjs/swagger writes OpenAPI 3.0 schemas, where `null` is `nullable: true`. The
 * document is served as OpenAPI 3.1, whose schemas are JSON Schema, so that the AsyncAPI
 * document can hold the very same schema objects (AsyncAPI's schemas are JSON Schema too):
 * `{type: "string", nullable: true}` becomes `{type: ["string", "null"]}`, and a nullable
 * reference `{allOf: [{$ref}], nullable: true}` becomes `{anyOf: [{$ref}, {type: "null"}]}`.
 * Changes the document in place and returns it.
 */
export function asOpenApi31(document: OpenAPIObject): OpenAPIObject {
  document.openapi = '3.1.0';
  visit(document);
  return document;
}

function visit(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(visit);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const node = value as Node;
  for (const child of Object.values(node)) visit(child);
  if (node.nullable !== true) return;
  delete node.nullable;
  const composed = ['$ref', 'allOf', 'oneOf', 'anyOf'].filter((key) => key in node);
  if (composed.length === 0) {
    if (typeof node.type === 'string') node.type = [node.type, 'null'];
    if (Array.isArray(node.enum)) node.enum = [...(node.enum as unknown[]), null];
    return;
  }
  // A reference (bare or in a one-element allOf) or a composition: null is one more choice.
  const choice: Node = {};
  for (const key of [...composed, 'type']) {
    if (key in node) {
      choice[key] = node[key];
      delete node[key];
    }
  }
  node.anyOf = [choice, { type: 'null' }];
}
