import type { Request } from 'express';

/** The `?ticket=` of a request, or null. Only stream routes look at it. */
export function ticketFrom(request: Request): string | null {
  const ticket: unknown = request.query.ticket;
  return typeof ticket === 'string' && ticket !== '' ? ticket : null;
}
