import { Controller, Get } from '@nestjs/common';
import { Public } from '../auth/decorators.js';

@Controller('health')
export class HealthController {
  /** Liveness: the process answers. Needs no token. */
  @Get()
  @Public()
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
