import { Controller, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiProperty, ApiTags } from '@nestjs/swagger';
import type { AuthUser } from '../auth/auth-user.js';
import { CurrentUser } from '../auth/decorators.js';
import { StreamTickets, type MintedTicket } from './stream-tickets.service.js';

class MintedTicketDto implements MintedTicket {
  @ApiProperty({ description: 'Pass as ?ticket= to open one stream, once' })
  ticket!: string;
  @ApiProperty({ example: 60, description: 'Seconds left to use it' })
  expiresIn!: number;
}

@ApiTags('notifications')
@Controller('notifications')
export class TicketsController {
  constructor(private readonly tickets: StreamTickets) {}

  /**
   * A single-use, 60-second ticket that opens one of the caller's streams (notifications,
   * a workflow timeline, presence) as `?ticket=`, for clients that cannot send headers.
   */
  @Post('tickets')
  @ApiCreatedResponse({ type: MintedTicketDto })
  mint(@CurrentUser() user: AuthUser): Promise<MintedTicket> {
    return this.tickets.mint(user);
  }
}
