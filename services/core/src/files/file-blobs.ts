import { fileBlobKey, thumbnailBlobKey, type BlobStore } from '../blob/blob.ts';

/** A file's bytes and its thumbnail's: what goes when its message is deleted, or its post is refused. */
export async function removeFileBlobs(blobs: BlobStore, fileId: string): Promise<void> {
  await blobs.delete(thumbnailBlobKey(fileId));
  await blobs.delete(fileBlobKey(fileId));
}
