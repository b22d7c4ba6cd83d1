import { HearthError } from '../errors.ts';

/** The row a query found, or the store's refusal for a missing one (the same in both stores). */
export function found<T>(value: T | undefined, refusal: () => HearthError): T {
  if (value === undefined) throw refusal();
  return value;
}

export const roomNotFound = (id: string) => () => new HearthError('room_not_found', `room ${id} does not exist`);
export const messageNotFound = (id: string) => () => new HearthError('message_not_found', `message ${id} does not exist`);
export const userNotFound = (id: string) => () => new HearthError('user_not_found', `user ${id} does not exist`);
export const apiTokenNotFound = (id: string) => () => new HearthError('not_found', `API token ${id} does not exist`, { field: 'tokenId' });
export const webhookDeliveryNotFound = (id: number) => () => new HearthError('not_found', `webhook delivery ${id} does not exist`);
