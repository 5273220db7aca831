import { Body, Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/decorators.js';
import { DevTokens, type DevToken } from './dev-tokens.js';
import { DevTokenDto } from './dto/dev-token.dto.js';

/** Development only (not registered in production): the demo page's sign-in. */
@ApiTags('development')
@Controller('dev')
export class DevTokenController {
  constructor(private readonly tokens: DevTokens) {}

  @Post('token')
  @Public()
  @ApiOperation({
    summary: 'Development only: a token for any user id and roles (404 in production)',
  })
  @ApiCreatedResponse({ description: '{"token": "<jwt>", "expiresAt": "<ISO 8601>"}' })
  mint(@Body() dto: DevTokenDto): DevToken {
    return this.tokens.mint(dto);
  }
}
