import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  AVATAR_EDGE,
  AVATAR_MAX_BYTES,
  HearthError,
  avatarBlobKey,
  avatarNotShrunk,
  avatarTooLarge,
  avatarVersionOf,
  isHearthError,
  limitRate,
  planAvatar,
  sniffImage,
  type BlobStore,
  type User,
} from '@hearth/core';
import { requireSignedIn } from '../auth.ts';
import type { GatewayDeps } from '../deps.ts';
import { commandMeta } from '../origin.ts';
import { objectSchema, userParams } from '../schemas.ts';
import type { FileService } from './files.ts';

/**
 * People's pictures, kept in the same Blob store as files: `PUT /api/users/me/avatar` takes an
 * image's bytes as the body and keeps only a small version of it under avatarBlobKey, then records
 * its version on the user (the `user.setAvatar` command, which tells everyone); `DELETE` takes it
 * away again; `GET /api/users/{userId}/avatar` serves it to anyone signed in. The upload has a
 * scope of its own, as a file's does, where any body is read as bytes up to AVATAR_MAX_BYTES.
 */
export async function registerAvatarRoutes(app: FastifyInstance, deps: GatewayDeps): Promise<void> {
  const files = deps.files;
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
    scope.put<{ Body: Buffer }>(
      '/api/users/me/avatar',
      { bodyLimit: AVATAR_MAX_BYTES, config: { refuseLargeBody: (size) => avatarTooLarge(size) } },
      async (request) => {
        const { user } = requireSignedIn(request);
        const service = requireFiles(files);
        await limitRate(deps.ephemeral, `avatar:${user.id}`, deps.limits.postsPerMinute);
        const bytes = await smallAvatar(service, Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0));
        return keepAvatar(deps, request, service.blobs, bytes);
      },
    );
  });

  app.delete('/api/users/me/avatar', async (request) => {
    const { user } = requireSignedIn(request);
    const { blobs } = requireFiles(files);
    const previous = (await deps.store.getUser(user.id))?.avatar ?? null;
    const updated = await deps.commands.send('user.setAvatar', { actorId: user.id, avatar: null }, commandMeta(request));
    // After the user stops pointing at them: a failure here leaves bytes no one is shown.
    if (previous !== null) await blobs.delete(avatarBlobKey(user.id, previous));
    return updated;
  });

  app.get<{ Params: { userId: string }; Querystring: { v?: string } }>(
    '/api/users/:userId/avatar',
    { schema: { params: userParams, querystring: objectSchema({ v: { type: 'string', maxLength: 64, description: "the picture's version (User.avatar)" } }) } },
    async (request, reply) => {
      requireSignedIn(request);
      const { blobs } = requireFiles(files);
      const user = await deps.store.getUser(request.params.userId);
      if (user === null) throw new HearthError('user_not_found', `no user ${request.params.userId}`, { field: 'userId' });
      const bytes = user.avatar === null ? undefined : await blobs.get(avatarBlobKey(user.id, user.avatar));
      if (bytes === undefined) throw new HearthError('not_found', 'this person has no picture', { field: 'userId' });
      return sendAvatar(request, reply, bytes);
    },
  );
}

function requireFiles(files: FileService | null): FileService {
  if (files === null) throw new HearthError('files_disabled', 'files are turned off on this Hearth, and pictures with them', { field: 'avatar' });
  return files;
}

/** The bytes to keep: the upload itself when it is small already, else the thumbnailer's version of it within AVATAR_EDGE. */
async function smallAvatar(service: FileService, upload: Buffer): Promise<Uint8Array> {
  const plan = planAvatar(upload);
  if (!plan.shrink) return upload;
  const small = await service.thumbnails.thumbnail(upload, plan.kind, { maxEdge: AVATAR_EDGE });
  if (small === null) throw avatarNotShrunk();
  return small.bytes;
}

/**
 * The bytes first, under their own version, then the command that points the user at them; then
 * the picture before goes. A refused command takes the new bytes away again, and leaves the old.
 */
async function keepAvatar(deps: GatewayDeps, request: FastifyRequest, blobs: BlobStore, bytes: Uint8Array): Promise<User> {
  const { user } = requireSignedIn(request);
  const previous = (await deps.store.getUser(user.id))?.avatar ?? null;
  const version = avatarVersionOf(bytes);
  const key = avatarBlobKey(user.id, version);
  await blobs.put(key, bytes);
  let updated: User;
  try {
    updated = await deps.commands.send('user.setAvatar', { actorId: user.id, avatar: version }, commandMeta(request));
  } catch (error) {
    // Refused: nothing is to point at them. On any other failure the change may have been
    // written (an answer lost in transit), so the bytes stay.
    if (isHearthError(error) && !error.isServerSide && version !== previous) await blobs.delete(key).catch(() => undefined);
    throw error;
  }
  if (previous !== null && previous !== version) await blobs.delete(avatarBlobKey(user.id, previous)).catch(() => undefined);
  return updated;
}

/**
 * A picture, served as a file's image is (its sniffed type, no sniffing, a sandbox), with its
 * version as its ETag. Asked for by the version it has (`?v=`, as clients do), a browser keeps it
 * for good, since a new picture has a new URL; asked for otherwise, it checks the ETag each time.
 */
function sendAvatar(request: FastifyRequest<{ Querystring: { v?: string } }>, reply: FastifyReply, bytes: Uint8Array): FastifyReply {
  const version = avatarVersionOf(bytes);
  const etag = `"${version}"`;
  reply
    .header('etag', etag)
    .header('cache-control', request.query.v === version ? 'private, max-age=31536000, immutable' : 'private, no-cache')
    .header('x-content-type-options', 'nosniff');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply
    .header('content-type', sniffImage(bytes)?.type ?? 'application/octet-stream')
    .header('content-security-policy', "default-src 'none'; sandbox")
    .send(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}
