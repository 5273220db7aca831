import { ApiProperty } from '@nestjs/swagger';
import type { InboxItem, InboxPage } from '../../storage/notification-store.js';
import type { Notification } from '../notification.js';

/**
 * The notification as it goes on the wire (CONTRACT.md): the `data:` of each
 * notification event on a stream, and the items of the REST answers. Documentation
 * only; the service sends the stored object itself.
 */
export class NotificationDto implements Notification {
  @ApiProperty({
    description: 'The cursor: opaque, increasing per user; also the SSE id',
    example: '42',
  })
  id!: string;

  @ApiProperty({ description: 'Also the SSE event name', example: 'message.created' })
  type!: string;

  @ApiProperty({ description: 'A user id, or "*" for a broadcast', example: 'bob' })
  recipient!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Who caused it (never notified of it)',
    example: 'alice',
  })
  actorId!: string | null;

  @ApiProperty({ example: 'New message from alice' })
  title!: string;

  @ApiProperty({ example: 'Lunch?' })
  body!: string;

  @ApiProperty({ type: 'object', additionalProperties: true, example: { messageId: 'm1' } })
  data!: Record<string, unknown>;

  @ApiProperty({ format: 'date-time' })
  createdAt!: string;
}

export class InboxItemDto extends NotificationDto implements InboxItem {
  @ApiProperty({ description: 'Read by the caller' })
  read!: boolean;
}

export class InboxPageDto implements InboxPage {
  @ApiProperty({ type: [InboxItemDto], description: 'Newest first' })
  items!: InboxItemDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `before` for the next page; null when nothing older exists',
  })
  nextBefore!: string | null;
}

export class PublishedNotificationsDto {
  @ApiProperty({ type: [NotificationDto] })
  items!: NotificationDto[];
}

/** Also the `data:` of the `unread-count` stream event. */
export class UnreadCountDto {
  @ApiProperty({ minimum: 0, example: 3 })
  count!: number;
}

/** `GET /notifications/types`, and the `data:` of the `types` stream event. */
export class NotificationTypesDto {
  @ApiProperty({
    type: [String],
    description:
      'Every type the service knows: the built-in ones and every type ever published, sorted',
    example: ['announcement', 'invoice.paid', 'message.created'],
  })
  types!: string[];
}
