import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';

/** Where the UI and the document are served; both need no token (CONTRACT.md, "Operations"). */
export const DOCS_PATH = 'docs';

/** Same depth from src/docs (tests) and dist/docs (the build). */
const { version } = JSON.parse(
  readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
) as { version: string };

const DESCRIPTION = `Real-time notifications over Server-Sent Events, with an inbox and publishing APIs.

**Authentication**: a JWT (\`sub\`, \`exp\`, optional \`name\` and \`roles\`: \`admin\` may announce,
\`admin\` and \`service\` may publish notifications), taken from, in this order:
\`Authorization: Bearer <jwt>\`, the \`access_token\` query parameter (a native EventSource cannot
send headers), the \`access_token\` cookie. On streams, a single-use \`?ticket=\` from
\`POST /notifications/tickets\` may stand for the token. Without a valid token: \`401\` \`{"statusCode":401,"message":"..."}\`.
With the cookie, every method but GET, HEAD and OPTIONS needs an \`Origin\` (or a \`Referer\`) that is the
service's own origin or one of CORS_ORIGINS, else \`403\` (no cross-site request forgery).
Operations marked without a lock (health, metrics, these docs) need no token; \`/metrics\` needs
\`Authorization: Bearer <METRICS_TOKEN>\` when METRICS_TOKEN is set.

**Streams** answer \`text/event-stream\`; see each stream operation for its events and the
schema of their \`data:\`. Notifications carry \`id:\` (the cursor); control events do not.`;

/** The OpenAPI document of every controller route, with the three ways to send the token. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Notification hub')
    .setDescription(DESCRIPTION)
    .setVersion(version)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description: 'Authorization: Bearer <jwt>',
      },
      'bearer',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'query',
        name: 'access_token',
        description: 'The JWT as ?access_token= (for EventSource; never logged)',
      },
      'access_token_query',
    )
    .addCookieAuth(
      'access_token',
      { type: 'apiKey', in: 'cookie', name: 'access_token', description: 'The JWT as a cookie' },
      'access_token_cookie',
    )
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', description: 'The METRICS_TOKEN, when it is set' },
      'metrics_token',
    )
    // Alternatives: any one of them authenticates. Public routes override this with [{}].
    .addSecurityRequirements('bearer')
    .addSecurityRequirements('access_token_query')
    .addSecurityRequirements('access_token_cookie')
    .build();
  return SwaggerModule.createDocument(app, config);
}

/** Serves the UI at /docs and the document at /docs-json, outside the JWT guard. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, () => createOpenApiDocument(app), {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    customSiteTitle: 'Notification hub API',
  });
}
