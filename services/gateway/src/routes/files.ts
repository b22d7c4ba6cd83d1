import type { FastifyInstance, FastifyReply } from 'fastify';
import {
  HearthError,
  contentDisposition,
  fileBlobKey,
  isHearthError,
  limitRate,
  mediaTypeOf,
  newId,
  normaliseAltText,
  normaliseFileName,
  fileTooLarge,
  refuseUnwantedFile,
  removeFileBlobs,
  requireMembership,
  requireRoom,
  requireVisibleMessage,
  servedInline,
  servedType,
  sniffImage,
  thumbnailBlobKey,
  type BlobStore,
  type FileLimits,
  type ImageKind,
  type MessageFile,
  type Thumbnailer,
} from '@hearth/core';
import { requireActor } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { commandMeta } from '../origin.ts';
import { messageParams, objectSchema, roomParams } from '../schemas.ts';

/** Files on this Hearth: where their bytes are kept, and what is accepted. */
export interface FileService {
  readonly blobs: BlobStore;
  readonly limits: FileLimits;
  /** Makes images' thumbnails off the event loop, one at a time. */
  readonly thumbnails: Thumbnailer;
}

interface UploadQuery {
  name: string;
  clientMessageId: string;
  alt?: string;
  body?: string;
}

export const uploadQuery = objectSchema(
  {
    name: { type: 'string', minLength: 1, maxLength: 1024, description: 'the file name, as the download will be saved' },
    clientMessageId: { type: 'string', minLength: 1, maxLength: 100 },
    alt: { type: 'string', maxLength: 4000, description: 'words for an image, for people who cannot see it' },
    body: { type: 'string', maxLength: 10_000, description: 'a caption: the message posted with the file' },
  },
  ['name', 'clientMessageId'],
);

/**
 * Files posted in rooms: `POST /api/rooms/{roomId}/files` takes the file's bytes as the request
 * body (its Content-Type the file's) and posts a message carrying it; `GET
 * /api/messages/{messageId}/file` and `…/file/thumbnail` serve them to the room's members.
 * Registered in a scope of its own, where any body type is read as bytes, up to the files' limit
 * instead of the JSON bodies' one.
 */
export async function registerFileRoutes(app: FastifyInstance, deps: GatewayDeps): Promise<void> {
  const files = deps.files;
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.post<{ Params: { roomId: string }; Querystring: UploadQuery; Body: Buffer }>(
      '/api/rooms/:roomId/files',
      {
        schema: { params: roomParams, querystring: uploadQuery },
        bodyLimit: files?.limits.maxBytes ?? deps.limits.bodyBytes,
        config: { refuseLargeBody: (size) => fileTooLarge(size, files?.limits.maxBytes ?? deps.limits.bodyBytes) },
      },
      async (request, reply) => {
        const user = requireActor(request);
        const service = requireFiles(files);
        await limitRate(deps.ephemeral, `post:${user.id}`, deps.limits.postsPerMinute);
        const room = await requireRoom(deps.store, request.params.roomId);
        await requireMembership(deps.store, room, user.id);
        const { query } = request;
        const upload = judgeUpload(service.limits, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0), request.headers['content-type'], query);
        // A retry of an upload that was posted gets that message back, and keeps no second copy.
        const earlier = await deps.store.getMessageByClientId(room.id, user.id, query.clientMessageId);
        if (earlier !== null) return reply.code(201).send(earlier);
        const file = await keepFile(service, upload);
        try {
          const posted = { actorId: user.id, roomId: room.id, clientMessageId: query.clientMessageId, body: query.body ?? '', file };
          return reply.code(201).send(await deps.commands.send('message.post', posted, commandMeta(request)));
        } catch (error) {
          // Refused: nothing points at the bytes. On any other failure the post may have been
          // written (an answer lost in transit), so the bytes stay.
          if (isHearthError(error) && !error.isServerSide) await removeFileBlobs(service.blobs, file.id).catch(() => undefined);
          throw error;
        }
      },
    );
  });

  app.get<{ Params: { messageId: string }; Querystring: { download?: string } }>(
    '/api/messages/:messageId/file',
    { schema: { params: messageParams, querystring: objectSchema({ download: { type: 'string', enum: ['1'] } }) } },
    async (request, reply) => {
      const { blobs } = requireFiles(files);
      const file = await requireFileOf(deps, request.params.messageId, requireActor(request).id);
      const bytes = await requireBytes(blobs, fileBlobKey(file.id));
      const inline = servedInline(file.contentType) && request.query.download === undefined;
      return sendFile(reply, bytes, file.contentType, contentDisposition(file.name, inline));
    },
  );

  app.get<{ Params: { messageId: string } }>('/api/messages/:messageId/file/thumbnail', { schema: { params: messageParams } }, async (request, reply) => {
    const { blobs } = requireFiles(files);
    const file = await requireFileOf(deps, request.params.messageId, requireActor(request).id);
    if (file.image === null) throw new HearthError('not_found', 'this file is not an image, and has no thumbnail', { field: 'messageId' });
    // A small image is its own thumbnail (thumbnail.ts makes none for it).
    const bytes = await requireBytes(blobs, file.image.thumbnail ? thumbnailBlobKey(file.id) : fileBlobKey(file.id));
    const type = sniffImage(bytes)?.type ?? 'application/octet-stream';
    return sendFile(reply, bytes, type, contentDisposition(file.name, true));
  });
}

function requireFiles(files: FileService | null): FileService {
  if (files === null) throw new HearthError('files_disabled', 'files are turned off on this Hearth', { field: 'file' });
  return files;
}

/** An upload judged, refused or not, before anything is looked up or kept. */
interface JudgedUpload {
  readonly bytes: Buffer;
  readonly name: string;
  readonly alt: string | null;
  readonly contentType: string;
  readonly image: ImageKind | null;
}

/** Judges the upload by its bytes: refused (naming the field) or what its message will say of it. */
function judgeUpload(limits: FileLimits, bytes: Buffer, declaredType: string | undefined, query: UploadQuery): JudgedUpload {
  const name = normaliseFileName(query.name);
  const alt = normaliseAltText(query.alt);
  const image = sniffImage(bytes);
  refuseUnwantedFile({ size: bytes.length, type: image?.type ?? mediaTypeOf(declaredType) }, limits);
  return { bytes, name, alt, image, contentType: servedType(mediaTypeOf(declaredType), image?.type ?? null) };
}

/** Keeps the bytes (and an image's thumbnail) in the Blob store; answers the file as its message will carry it. */
async function keepFile(service: FileService, upload: JudgedUpload): Promise<MessageFile> {
  const { bytes, image, name, alt, contentType } = upload;
  const id = newId();
  const thumbnail = image === null ? null : await service.thumbnails.thumbnail(bytes, image);
  await service.blobs.put(fileBlobKey(id), bytes);
  if (thumbnail !== null) await service.blobs.put(thumbnailBlobKey(id), thumbnail.bytes);
  return {
    id,
    name,
    contentType,
    size: bytes.length,
    alt,
    image: image === null ? null : { width: image.width, height: image.height, thumbnail: thumbnail !== null },
  };
}

async function requireFileOf(deps: GatewayDeps, messageId: string, actorId: string): Promise<MessageFile> {
  const { message } = await requireVisibleMessage(deps.store, messageId, actorId);
  if (message.file === null) throw new HearthError('not_found', 'this message has no file', { field: 'messageId' });
  return message.file;
}

async function requireBytes(blobs: BlobStore, key: string): Promise<Uint8Array> {
  const bytes = await blobs.get(key);
  if (bytes === undefined) throw new HearthError('not_found', 'the file is no longer kept', { field: 'messageId' });
  return bytes;
}

/**
 * Bytes served so that no browser runs them whatever they hold: the type is Hearth's own judgement
 * (never HTML or SVG), no sniffing, and a sandbox with nothing allowed if one opened it as a page.
 * The bytes under a file's id never change, so a browser keeps them (privately: they are a room's).
 */
function sendFile(reply: FastifyReply, bytes: Uint8Array, type: string, disposition: string): FastifyReply {
  return reply
    .header('content-type', type)
    .header('content-disposition', disposition)
    .header('x-content-type-options', 'nosniff')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .header('cache-control', 'private, max-age=31536000, immutable')
    .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
