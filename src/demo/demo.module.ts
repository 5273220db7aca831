import { DynamicModule, Module } from '@nestjs/common';
import type { AppConfig } from '../config.js';
import { DemoSettingsController } from './demo-settings.controller.js';
import { DevTokenController } from './dev-token.controller.js';
import { DevTokens } from './dev-tokens.js';

/**
 * The demo page's server side: its settings and, in development only, the token
 * endpoint. The page itself is static files (see static-assets.ts).
 */
@Module({})
export class DemoModule {
  static forRoot(config: AppConfig): DynamicModule {
    const devTokens = DevTokens.available(config);
    return {
      module: DemoModule,
      controllers: [DemoSettingsController, ...(devTokens ? [DevTokenController] : [])],
      providers: devTokens ? [DevTokens] : [],
    };
  }
}
