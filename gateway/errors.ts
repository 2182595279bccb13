// One error handler for the gateway: every failure becomes a JSON `{code, message, subject?}` with
// the HTTP status its code maps to (shared/errors.ts), as the master's own routes answer.

import type { ErrorRequestHandler, Response } from 'express';
import multer from 'multer';
import { type ErrorBody, GfsError } from '../shared/errors.js';
import type { Logger } from '../shared/log.js';

export function sendError(res: Response, error: GfsError): void {
  const body: ErrorBody = error.toJSON();
  res.status(error.httpStatus).json(body);
}

/** The GfsError a failure stands for: multer's limits are bad requests, anything unknown INTERNAL. */
export function toGfsError(error: unknown): GfsError {
  if (error instanceof GfsError) return error;
  if (error instanceof multer.MulterError) {
    return new GfsError('INVALID_ARGUMENT', `upload refused: ${error.message}`, error.field ?? '');
  }
  return new GfsError('INTERNAL', error instanceof Error ? error.message : String(error));
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    // The client went away (a cut-off upload or download): there is no one to answer, and
    // nothing went wrong here; the upload's temporary file is already removed.
    if (req.socket.destroyed) {
      logger.info(`request ended by the client ${req.method} ${req.originalUrl}`);
      return;
    }
    const gfsError = toGfsError(error);
    if (gfsError.code === 'INTERNAL') logger.error({ err: error }, `request failed ${req.method} ${req.originalUrl}`);
    // Once a response has started (a download that failed midway), all that is left is to cut it
    // short: the client sees fewer bytes than Content-Length promised.
    if (res.headersSent) {
      res.destroy();
      return;
    }
    sendError(res, gfsError);
  };
}
