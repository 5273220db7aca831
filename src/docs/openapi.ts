import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { readFileSync } from 'node:fs';
import { NOTIFICATION_STREAM_DOC } from '../notifications/notification-stream.docs.js';
import { PRESENCE_STREAM_DOC } from '../presence/presence-stream.docs.js';
import { TIMELINE_STREAM_DOC } from '../timelines/timeline-stream.docs.js';
import { ASYNCAPI_PATH, createAsyncApiDocument } from './asyncapi.js';
import { asOpenApi31 } from './openapi-3-1.js';

/** Where the UI and the document are served; both need no token (CONTRACT.md, "Operations"). */
export const DOCS_PATH = 'docs';

/** Every stream, as both documents describe it. */
export const EVENT_STREAMS = [NOTIFICATION_STREAM_DOC, TIMELINE_STREAM_DOC, PRESENCE_STREAM_DOC];

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
schema of their \`data:\`. Notifications carry \`id:\` (the cursor); control events do not.
The same streams as an AsyncAPI 3 document: \`GET ${ASYNCAPI_PATH}\`.`;

/**
 * The OpenAPI 3.1 document of every controller route, with the three ways to send the
 * token (3.1, so that its schemas are JSON Schema that the AsyncAPI document can share).
 */
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
  return asOpenApi31(SwaggerModule.createDocument(app, config));
}

/**
 * Serves the UI at /docs, the OpenAPI document at /docs-json and the AsyncAPI document at
 * /docs/asyncapi.json, outside the JWT guard. Both documents are built once, on first use,
 * from one scan of the controllers.
 */
export function setupOpenApi(app: INestApplication): void {
  let openapi: OpenAPIObject | undefined;
  let asyncapi: string | undefined;
  const document = () => (openapi ??= createOpenApiDocument(app));
  // Before Swagger's own routes, whose static files would otherwise answer under /docs/.
  app
    .getHttpAdapter()
    .get(
      ASYNCAPI_PATH,
      (_request: unknown, response: { type(t: string): { send(b: string): void } }) => {
        asyncapi ??= JSON.stringify(createAsyncApiDocument(document(), EVENT_STREAMS));
        response.type('application/json').send(asyncapi);
      },
    );
  SwaggerModule.setup(DOCS_PATH, app, document, {
    jsonDocumentUrl: `${DOCS_PATH}-json`,
    customSiteTitle: 'Notification hub API',
  });
}
