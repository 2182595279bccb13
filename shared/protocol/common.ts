// Schemas used by more than one protocol surface.

import { Type } from '@sinclair/typebox';
import { PATH_BYTES_MAX } from '../limits.js';

/** Absolute cluster path; the master normalises and validates it further (shared/paths.ts). */
export const PathSchema = Type.String({ minLength: 1, maxLength: PATH_BYTES_MAX * 4 });
/**
 * Chunk handles are 64-bit unsigned integers written in decimal (JSON numbers lose precision), in
 * canonical form: a chunkserver names files by them, and `007` must not be a second name for `7`.
 */
export const HandleSchema = Type.String({ pattern: '^(0|[1-9][0-9]{0,19})$' });
/**
 * `host:port` of a server: a host name, an IPv4 address or a bracketed IPv6 one, and a port. The
 * alphabet leaves out everything that could make the address a URL of its own (`/`, `@`, `?`,
 * `#`, spaces) when a peer turns it into `http://<address>`.
 */
export const ADDRESS_PATTERN = '^[A-Za-z0-9._\\-\\[\\]:]{3,300}$';
export const AddressSchema = Type.String({ pattern: ADDRESS_PATTERN });
export const VersionSchema = Type.Integer({ minimum: 0 });
export const Empty = Type.Object({}, { additionalProperties: false });
