/**
 * `@notification-hub/client`: the browser client of notification-hub.
 * - {@link NotificationClient}: one resilient stream per browser (shared by its tabs),
 *   typed events, and the inbox and preferences over REST;
 * - {@link ResilientStream}: one authenticated stream that stays up, for the resource
 *   streams (a workflow's timeline, presence);
 * - the wire shapes (./protocol), shared with the service.
 */
export {
  NotificationClient,
  NOTIFICATION_TYPES,
  type ConnectionState,
  type NotificationClientEvents,
  type NotificationClientOptions,
} from './notification-client.js';
export {
  ResilientStream,
  type EventSourcePolyfillConstructor,
  type ResilientStreamOptions,
  type StreamState,
  type Transport,
} from './resilient-stream.js';
export {
  HubRequests,
  NotificationHubError,
  type InboxApi,
  type InboxListOptions,
  type PreferencesApi,
} from './rest.js';
export { electLeader, type ElectionMode, type TabLeader } from './tab-leader.js';
export { msUntilExpiry, readClaims, type TokenClaims } from './jwt-claims.js';
export * from './protocol.js';
