/**
 * The client now lives in its own package (client/, `@notification-hub/client`); the
 * demo's UI modules that still import this path get the package's exports. New code
 * imports the package by name.
 */
export * from '@notification-hub/client';
