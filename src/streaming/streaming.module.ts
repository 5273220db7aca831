import { Module } from '@nestjs/common';
import { StreamHub } from './stream-hub.js';

/** The one owner of every stream (see {@link StreamHub}); imported by each kind of stream. */
@Module({
  providers: [StreamHub],
  exports: [StreamHub],
})
export class StreamingModule {}
