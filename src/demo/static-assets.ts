import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Response } from 'express';
import { fileURLToPath } from 'node:url';

/** The repository root, from src/demo (tests) and from dist/demo (the built service) alike. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The demo page allows only its own scripts, styles and connections: no inline script
 * or style, nothing from elsewhere. (Swagger UI under /docs needs inline code, so the
 * policy is set on the demo's files only.)
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

function securityHeaders(response: Response): void {
  response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * Serves the demo page at `/` as static files: the HTML and CSS as written (web/public),
 * and under /js/ what `npm run build` bundled into dist/web: the page (app.js) and the
 * client package as one browser module (notification-client.js, polyfill included).
 */
export function serveDemoPage(app: NestExpressApplication): void {
  const options = { setHeaders: securityHeaders, fallthrough: true };
  app.useStaticAssets(`${ROOT}web/public`, { ...options, index: 'index.html' });
  app.useStaticAssets(`${ROOT}dist/web`, { ...options, prefix: '/js/', index: false });
}
