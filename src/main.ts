import { Logger } from '@nestjs/common';
import { createApp } from './app.factory.js';
import { ConfigError, loadConfig } from './config.js';

async function main(): Promise<void> {
  const logger = new Logger('Bootstrap');
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      logger.error(`Configuration: ${error.message}`);
      process.exit(1);
    }
    throw error;
  }
  if (config.jwt.usingDevSecret) {
    logger.warn(
      'JWT_SECRET is not set: tokens are signed and checked with a fixed DEVELOPMENT secret. ' +
        'Never run like this in production (NODE_ENV=production refuses to start without a key).',
    );
  }
  const app = await createApp(config);
  await app.listen(config.port, config.host);
  const shown = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const base = `http://${shown}:${config.port}`;
  logger.log(`Notification service listening on ${base}`);
  logger.log(`Health: ${base}/health   Stream: ${base}/notifications/stream`);
  if (!config.production) {
    logger.log(
      `Mint a dev token: npm run -s token -- alice --roles admin   then: ` +
        `curl -N -H "Authorization: Bearer $TOKEN" ${base}/notifications/stream`,
    );
  }
}

void main();
