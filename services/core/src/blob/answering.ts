import type { BlobStore } from './blob.ts';

/** `store` once it has answered a ping; else closed again, and the ping's failure thrown (a back-end's `open`). */
export async function answering<T extends BlobStore>(store: T): Promise<T> {
  try {
    await store.ping();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
