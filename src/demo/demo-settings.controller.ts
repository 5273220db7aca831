import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators.js';
import { AppConfig } from '../config.js';
import { DevTokens } from './dev-tokens.js';

export interface DemoSettings {
  /** POST /dev/token exists: the page offers to sign in as anyone. */
  devTokens: boolean;
}

/**
 * What the demo page needs to know before signing in. Asking beats probing: a probe of
 * POST /dev/token in production would be a 404, which the browser reports as an error.
 */
@ApiTags('development')
@Controller('demo')
export class DemoSettingsController {
  constructor(private readonly config: AppConfig) {}

  @Get('settings')
  @Public()
  @ApiOkResponse({ description: '{"devTokens": true} in development' })
  settings(): DemoSettings {
    return { devTokens: DevTokens.available(this.config) };
  }
}
