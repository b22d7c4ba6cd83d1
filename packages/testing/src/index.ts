export * from './http.ts';
export * from './stream-clients.ts';
