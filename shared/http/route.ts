// A route definition shared by a server and its callers, so the two cannot drift (the lodestar
// pattern): method, URL, and TypeBox schemas for the JSON body and reply.

import type { Static, TSchema } from '@sinclair/typebox';

export interface RouteDef<Body extends TSchema = TSchema, Reply extends TSchema = TSchema> {
  method: 'POST' | 'GET' | 'PUT';
  url: string;
  body: Body;
  reply: Reply;
}

export type BodyOf<R> = R extends RouteDef<infer B, TSchema> ? Static<B> : never;
export type ReplyOf<R> = R extends RouteDef<TSchema, infer P> ? Static<P> : never;

export function defineRoute<Body extends TSchema, Reply extends TSchema>(
  method: RouteDef['method'],
  url: string,
  body: Body,
  reply: Reply,
): RouteDef<Body, Reply> {
  return { method, url, body, reply };
}
